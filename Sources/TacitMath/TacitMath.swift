// TacitMath: GMP-backed big integers, modular arithmetic, rings and fields, fixed point.
