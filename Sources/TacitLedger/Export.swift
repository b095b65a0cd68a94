public import Foundation

/// The replica as JSON, for `tacit ledger export` and auditors' own tools: every canonical
/// byte string in hex (what is hashed and signed), next to a decoded summary. JSON is only a
/// container here; nothing hashes or signs JSON.
public enum LedgerExport {
    public static func json(store: LedgerStore, from: UInt64 = 1, to: UInt64? = nil) throws -> Data {
        guard let g = try store.genesis() else { throw LedgerError(.invalidGenesis, "no genesis in \(store.path)") }
        let top = min(to ?? UInt64.max, try store.lastHeight())
        var blocks: [[String: Any]] = []
        var h = max(from, 1)
        while h <= top, let s = try store.stored(at: h) {
            let header = try BlockHeader(decoding: s.header)
            let cert = try CommitCertificate(decoding: s.certificate)
            var txs: [[String: Any]] = []
            for t in s.transactions {
                var entry: [String: Any] = ["position": t.position, "id": t.id.hex, "author": t.author, "nonce": t.nonce, "kind": t.kind, "bytes": t.bytes.hex]
                if let tx = try? Transaction(decoding: t.bytes) {
                    entry["signingPayloadLength"] = tx.signingPayload.count
                    entry["signature"] = tx.signature.hex
                    entry["endorsements"] = tx.endorsements.map { ["member": $0.member, "signature": $0.signature.hex] }
                    entry["body"] = summary(tx.body)
                    entry["sealedFields"] = tx.sealed.map { ["name": $0.name, "recipients": $0.recipients.map(\.member)] }
                }
                txs.append(entry)
            }
            blocks.append([
                "height": h, "hash": s.hash.hex, "header": s.header.hex, "previousHash": header.previousHash.hex,
                "txRoot": header.txRoot.hex, "timestamp": header.timestamp, "proposer": header.proposer,
                "certificate": [
                    "round": cert.round, "blockHash": cert.blockHash.hex,
                    "signatures": cert.signatures.map { ["member": $0.member, "signature": $0.signature.hex] },
                ],
                "transactions": txs,
            ])
            h += 1
        }
        let root: [String: Any] = [
            "format": "tacit-ledger-export/1",
            "chainID": g.hash.hex,
            "genesis": [
                "bytes": g.encoded.hex, "bodyLength": g.body.count, "chainName": g.chainName, "timestamp": g.timestamp,
                "caCertificate": g.caCertificateDER.hex,
                "members": g.members.map {
                    ["name": $0.name, "certificate": $0.certificateDER.hex, "curveKey": $0.curveKey, "endpoint": $0.endpoint, "roles": $0.roles]
                },
                "signatures": g.signatures.map { ["member": $0.member, "signature": $0.signature.hex] },
            ],
            "blocks": blocks,
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }

    static func summary(_ b: TransactionBody) -> [String: Any] {
        switch b {
        case .jobProposed(let h, let spec):
            return [
                "jobID": h.jobID, "protocol": h.protocolName, "approval": h.approval == .allParties ? "all-parties" : "input-parties",
                "parties": h.parties.map { ["name": $0.name, "role": $0.role, "inputFields": $0.inputFields] }, "specBytes": spec.count,
            ]
        case .jobApproved(let j, let f): return ["jobID": j, "fields": f]
        case .jobRejected(let j, let r), .jobFailed(let j, let r): return ["jobID": j, "reason": r]
        case .inputCommitted(let j, let c): return ["jobID": j, "commitment": c.hex]
        case .resultRecorded(let j, let d, let r): return ["jobID": j, "resultDigest": d.hex, "publicResultBytes": r.count]
        case .memberAdded(let m): return ["member": m.name, "roles": m.roles, "endpoint": m.endpoint]
        case .memberRemoved(let n): return ["member": n]
        case .policyChanged(let p):
            return ["changeThreshold": p.changeThreshold, "jobProposerRole": p.jobProposerRole, "maxBlockTransactions": p.maxBlockTransactions]
        case .keyRegistered(let k):
            return ["scheme": k.scheme, "holders": k.holders, "fingerprint": k.fingerprint.hex, "publicKeyBytes": k.publicKey.count]
        }
    }
}
