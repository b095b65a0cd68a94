import Testing
import TacitCrypto
import TacitJob
import TacitMPC
import TacitNet
import TacitTestSupport

@testable import TacitPSI

/// The count mode among a receiver and k banks over an in-memory mesh, against counts taken
/// from plain Swift sets, and with one party misbehaving.
@Suite("PSI count mode: how many banks list each applicant, against plaintext counts")
struct CountPSITests {
    static let receiver = PartyID("applicants")
    static let session = Array("job-count-1".utf8)

    static func banks(_ k: Int) -> [PartyID] { (0..<k).map { PartyID("bank-\(Character(UnicodeScalar(UInt8(97 + $0))))") } }

    struct Run {
        var receiver: Result<CountPSI.Counts, any Error>
        var banks: [PartyID: Result<PSIOutcome, any Error>]
    }

    /// Runs the receiver with `mine` and bank i with `lists[i]`, all at once; `tamper` rewrites
    /// what `tamperParty` sends; `sessionOf` lets one party run another job.
    static func run(
        _ mine: [[UInt8]], _ lists: [[[UInt8]]], chunk: Int = 5, timeout: Duration = .seconds(60),
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil },
        sessionOf: @escaping @Sendable (PartyID) -> [UInt8] = { _ in session }
    ) async -> Run {
        let banks = banks(lists.count)
        let everyone = [receiver] + banks
        let mesh = InMemoryMesh(parties: everyone, defaultTimeout: timeout)
        let sid = SessionID.random()
        let layout = CountPSI.Layout(receiver: receiver, banks: banks)
        let settings = ECDHPSI.Settings(chunkElements: chunk)
        @Sendable func links(_ me: PartyID) throws -> [PartyID: PairLink] {
            let base: any PartyChannel = mesh.channel(for: me)
            let channel: any PartyChannel = me == tamperParty ? TamperingChannel(base: base, tamper: tamper) : base
            var out: [PartyID: PairLink] = [:]
            for p in everyone where p != me { out[p] = try PairLink(channel: channel.session(sid).pair(with: p), tag: Tag(211)) }
            return out
        }
        return await withTaskGroup(of: (PartyID, Result<CountPSI.Counts, any Error>?, Result<PSIOutcome, any Error>?).self) { group in
            group.addTask {
                do {
                    return (receiver, .success(try await CountPSI.receive(
                        PSISet(mine), layout: layout, links: try links(receiver), session: sessionOf(receiver), settings: settings)), nil)
                } catch { return (receiver, .failure(error), nil) }
            }
            for (i, bank) in banks.enumerated() {
                group.addTask {
                    do {
                        return (bank, nil, .success(try await CountPSI.bank(
                            PSISet(lists[i]), layout: layout, links: try links(bank), session: sessionOf(bank), settings: settings)))
                    } catch { return (bank, nil, .failure(error)) }
                }
            }
            var r: Result<CountPSI.Counts, any Error> = .failure(JobError(.protocolFailure, "no result"))
            var b: [PartyID: Result<PSIOutcome, any Error>] = [:]
            for await (party, counts, outcome) in group {
                if let counts { r = counts }
                if let outcome { b[party] = outcome }
                _ = party
            }
            return Run(receiver: r, banks: b)
        }
    }

    /// For each distinct element of `mine`, how many lists hold it.
    static func expected(_ mine: [[UInt8]], _ lists: [[[UInt8]]]) -> [Int] {
        let sets = lists.map(Set.init)
        return PSISet(mine).elements.map { e in sets.reduce(0) { $0 + ($1.contains(e) ? 1 : 0) } }
    }

    static func ids(_ range: Range<Int>, _ tag: String = "ID") -> [[UInt8]] { range.map { Array("\(tag)-\($0)".utf8) } }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let mine: [[UInt8]]
        let lists: [[[UInt8]]]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "one bank", mine: ids(0..<30), lists: [ids(20..<60)]),
        Case(name: "two banks, overlapping lists", mine: ids(0..<40), lists: [ids(10..<30), ids(25..<50)]),
        Case(name: "three banks with identical lists: every listed applicant counts 3", mine: ids(0..<20), lists: [ids(5..<15), ids(5..<15), ids(5..<15)]),
        Case(name: "four banks, one empty, duplicates in input", mine: ids(0..<25) + ids(0..<10), lists: [ids(0..<3), [], ids(2..<9) + ids(2..<4), ids(100..<130)]),
        Case(name: "empty applicant batch", mine: [], lists: [ids(0..<10), ids(5..<12)]),
        Case(name: "disjoint", mine: ids(0..<20, "A"), lists: [ids(0..<20, "B"), ids(0..<20, "C")]),
        Case(
            name: "non-ASCII identifiers, a small batch against larger lists",
            mine: ["Zoë", "李小龍", "Straße", "🏦", "ok"].map { Array($0.utf8) },
            lists: [ids(0..<200) + ["李小龍", "🏦"].map { Array($0.utf8) }, ["Zoë", "🏦", "strasse"].map { Array($0.utf8) } + ids(300..<400)]),
    ]

    @Test("the receiver gets each applicant's number of listing banks; banks get the batch size", arguments: cases)
    func counts(_ c: Case) async throws {
        let o = await Self.run(c.mine, c.lists)
        let r = try o.receiver.get()
        #expect(r.listings == Self.expected(c.mine, c.lists))
        #expect(r.unionSize == c.lists.reduce(0) { $0 + PSISet($1).count })
        for bank in Self.banks(c.lists.count) {
            #expect(try o.banks[bank]?.get().peerSetSize == PSISet(c.mine).count)
        }
    }

    @Test("each bank's points carry its index: an identifier on two lists gives two different union tags")
    func unionHasNoRepeats() throws {
        let layout = CountPSI.Layout(receiver: Self.receiver, banks: Self.banks(2))
        let x = [Array("alice".utf8)][...]
        let p0 = try Ristretto255.hashToGroup(x, prefix: layout.prefix(Self.session, bank: 0), dst: ECDHPSI.dst)
        let p1 = try Ristretto255.hashToGroup(x, prefix: layout.prefix(Self.session, bank: 1), dst: ECDHPSI.dst)
        #expect(p0 != p1)
        #expect(layout.digest(Self.session) != CountPSI.Layout(receiver: "other", banks: Self.banks(2)).digest(Self.session))
    }

    // MARK: Hostile members

    static func onStep(_ step: CountPSI.Step, _ change: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (Payload) -> Payload? {
        LinkTampering.onStep(step.rawValue, change)
    }

    static func point(_ index: Int, _ bytes: [UInt8]) -> @Sendable ([UInt8]) -> [UInt8] { LinkTampering.point(index, bytes) }

    struct Hostile: Sendable, CustomTestStringConvertible {
        let name: String
        let party: PartyID
        let step: CountPSI.Step
        let change: @Sendable ([UInt8]) -> [UInt8]
        /// The honest party that detects it, and what its error says.
        let detector: PartyID
        let says: String
        var testDescription: String { name }
    }

    static let identity = LinkTampering.identity
    static let nonCanonical = LinkTampering.nonCanonical

    static let hostile: [Hostile] = [
        Hostile(name: "receiver sends the identity in its query", party: receiver, step: .query, change: point(1, identity), detector: "bank-a", says: "identity"),
        Hostile(name: "a bank passes a non-canonical point along the ring", party: "bank-b", step: .ring, change: point(1, nonCanonical), detector: "bank-c", says: "not a canonical"),
        Hostile(name: "a bank truncates the query it passes on", party: "bank-a", step: .query, change: { Array($0.dropLast(7)) }, detector: "bank-b", says: "truncated"),
        Hostile(name: "the last bank returns the identity to the receiver", party: "bank-c", step: .query, change: point(0, identity), detector: receiver, says: "identity"),
        Hostile(name: "a bank claims a list past the limit", party: "bank-a", step: .ringHead, change: { b in
            var b = b
            b.replaceSubrange(48..<56, with: ECDHPSI.be(UInt64(CountPSI.maxElements + 1), 8))
            return b
        }, detector: "bank-b", says: "at most"),
        Hostile(name: "the gatherer repeats a union tag", party: "bank-c", step: .union, change: { b in
            var b = b
            if b.count >= 48 { b.replaceSubrange(32..<48, with: b[16..<32]) }
            return b
        }, detector: receiver, says: "repeated tags"),
    ]

    @Test("a member's bad point, count or length fails every party, the detector naming it, with no hang", arguments: hostile)
    func hostileMember(_ h: Hostile) async throws {
        let o = await Self.run(Self.ids(0..<12), [Self.ids(0..<6), Self.ids(3..<10), Self.ids(8..<20)], chunk: 4, tamperParty: h.party, tamper: Self.onStep(h.step, h.change))
        let errors = ([Self.receiver: o.receiver.map { _ in () }] as [PartyID: Result<Void, any Error>])
            .merging(o.banks.mapValues { $0.map { _ in () } }) { a, _ in a }
        for (party, result) in errors where party != h.party {
            guard case .failure(let e) = result else { Issue.record("\(party) succeeded beside a hostile \(h.party)"); continue }
            #expect(e is JobError, "\(party): \(e)")
        }
        guard case .failure(let e as JobError) = errors[h.detector] else { Issue.record("\(h.detector) did not fail with a job error"); return }
        #expect(e.message.contains(h.says), "\(e.message)")
        #expect(e.peer == h.party.name, "\(e)")
    }

    @Test("a bank running another job's session fails the run at its neighbours, saying both must run the same spec")
    func otherSession() async throws {
        let o = await Self.run(Self.ids(0..<8), [Self.ids(0..<4), Self.ids(2..<6)], sessionOf: { $0 == "bank-b" ? Array("job-other".utf8) : Self.session })
        guard case .failure(let e as JobError) = o.receiver else { Issue.record("the receiver did not fail"); return }
        #expect(e.message.contains("same job spec") || e.message.contains("aborted"), "\(e.message)")
        for (bank, result) in o.banks {
            if case .success = result { Issue.record("\(bank) succeeded") }
        }
    }
}
