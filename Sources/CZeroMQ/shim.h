#ifndef TACIT_CZEROMQ_SHIM_H
#define TACIT_CZEROMQ_SHIM_H

#include <zmq.h>

#endif
