import Foundation
import Testing

@testable import TacitNet

/// How a message gets from the thread that received it to the task that waits for it.
///
/// Under `make test-tsan` this is the regression test for issue 11's report in the MPC peer
/// (a payload built on the mesh I/O thread, read in `MPCContext.receivePieces`): a delivery
/// that resumes a receive's continuation before that receive has suspended lets the task go
/// on through a path of the Swift runtime that tells the thread sanitizer nothing, so TSan
/// saw no ordering between building the payload and reading it. Without the sanitizer the
/// bytes are checked, which any lost or torn hand-off would fail.
@Suite("Mailbox hand-off between threads", .timeLimit(.minutes(8)))
struct MailboxHandOffTests {
    static func key(_ round: Int) -> MailboxKey { MailboxKey(peer: "m", session: SessionID(1), tag: Tag(UInt64(round))) }
    static func pattern(_ round: Int) -> [UInt8] { (0..<64).map { UInt8(truncatingIfNeeded: round &* 31 &+ $0) } }

    @Test("a payload built on another thread and handed to a waiting receive arrives whole, every round")
    func handOffFromAnotherThread() async throws {
        let box = Mailbox()
        let rounds = 3000
        // A plain thread, as the ZeroMQ I/O thread is. It delivers as soon as the receive has
        // registered, so many deliveries land while the receiving task is still on its way
        // to suspending: the window the report came from.
        let deliverer = Thread {
            for i in 0..<rounds {
                let giveUp = ContinuousClock.now + .seconds(120)
                while box.waitingCount == 0 {
                    if ContinuousClock.now > giveUp { return }
                    sched_yield()
                }
                box.deliver(Payload(Self.pattern(i)), for: Self.key(i))
            }
        }
        deliverer.start()
        for i in 0..<rounds {
            // No timeout: a timer would add lock traffic after registration that hides the window.
            let payload = try await box.receive(Self.key(i), timeout: nil)
            let ok = payload.withUnsafeBytes { $0.elementsEqual(Self.pattern(i)) }
            #expect(ok, "round \(i): \(payload)")
            if !ok { break }
        }
        #expect(box.waitingCount == 0)
    }
}
