public import TacitMath
import Foundation

/// Splits `0..<count` into one chunk per active core (a few more for balance) and runs `body`
/// on each in a task group; results come back in order.
func parallelChunks<T: Sendable>(count: Int, _ body: @escaping @Sendable (Range<Int>) -> [T]) async -> [T] {
    if count == 0 { return [] }
    let cores = max(ProcessInfo.processInfo.activeProcessorCount, 1)
    let chunks = min(count, cores == 1 ? 1 : cores * 4)
    let size = (count + chunks - 1) / chunks
    if chunks == 1 { return body(0..<count) }
    return await withTaskGroup(of: (Int, [T]).self) { group in
        var start = 0
        var index = 0
        while start < count {
            let range = start..<min(start + size, count)
            let i = index
            group.addTask { (i, body(range)) }
            start = range.upperBound
            index += 1
        }
        var parts = [[T]](repeating: [], count: index)
        for await (i, part) in group { parts[i] = part }
        return parts.flatMap { $0 }
    }
}

extension Paillier.PublicKey {
    /// Encrypts every signed plaintext, on every core. Fails as a whole (before encrypting)
    /// if any plaintext is out of range, naming its index.
    public func encrypt(_ plaintexts: [BigInt], method: EncryptionMethod = .automatic) async throws -> [Paillier.Ciphertext] {
        var residues: [BigInt] = []
        residues.reserveCapacity(plaintexts.count)
        for (i, value) in plaintexts.enumerated() {
            do {
                residues.append(try residue(signed: value))
            } catch let error as PaillierError {
                throw PaillierError(error.code, "plaintext \(i): \(error.message)")
            }
        }
        if method != .textbook { _ = try makeRandomizer(method: method) }  // fail early, build the table once
        let key = self
        let frozen = residues
        return await parallelChunks(count: frozen.count) { range in
            range.map { try! key.encrypt(residue: frozen[$0], method: method) }
        }
    }

    /// Pairwise sums `a[i] + b[i]`, on every core.
    public func add(_ a: [Paillier.Ciphertext], _ b: [Paillier.Ciphertext]) async -> [Paillier.Ciphertext] {
        precondition(a.count == b.count, "Paillier.add: the arrays must have equal length")
        let key = self
        return await parallelChunks(count: a.count) { range in
            let evaluator = Paillier.Evaluator(publicKey: key)
            return range.map { evaluator.add(a[$0], b[$0]) }
        }
    }

    /// `E(Σ a[i])`, on every core; the encryption of 0 with randomiser 1 for an empty array.
    public func sum(_ values: [Paillier.Ciphertext]) async -> Paillier.Ciphertext {
        let key = self
        let partials: [BigInt] = await parallelChunks(count: values.count) { range in
            let evaluator = Paillier.Evaluator(publicKey: key)
            var accumulator = BigInt(1)
            for i in range { evaluator.accumulate(&accumulator, values[i]) }
            return [accumulator]
        }
        let context = ModularContext(modulus: nSquared)
        var total = BigInt(1)
        for partial in partials { context.multiply(&total, by: partial) }
        return Paillier.Ciphertext(unchecked: total)
    }

    /// `a[i] · k[i]` (signed constants), on every core.
    public func multiply(_ a: [Paillier.Ciphertext], by k: [BigInt]) async throws -> [Paillier.Ciphertext] {
        precondition(a.count == k.count, "Paillier.multiply: the arrays must have equal length")
        for (i, value) in k.enumerated() where value.magnitude > maxSignedPlaintext {
            throw PaillierError(.plaintextOutOfRange, "constant \(i) lies outside the signed range (−n/2, n/2)")
        }
        let key = self
        return await parallelChunks(count: a.count) { range in
            range.map { try! key.multiply(a[$0], by: k[$0]) }
        }
    }
}

extension Paillier.PrivateKey {
    /// Decrypts every ciphertext to its signed value, on every core (one scratch per task).
    public func decrypt(_ ciphertexts: [Paillier.Ciphertext]) async -> [BigInt] {
        let key = self
        return await parallelChunks(count: ciphertexts.count) { range in
            let scratch = DecryptionScratch(key: key)
            return range.map { key.publicKey.signedValue(residue: scratch.decrypt(ciphertexts[$0].value)) }
        }
    }

    /// Decrypts every ciphertext to its residue in `0..<n`, on every core.
    public func decryptResidues(_ ciphertexts: [Paillier.Ciphertext]) async -> [BigInt] {
        let key = self
        return await parallelChunks(count: ciphertexts.count) { range in
            let scratch = DecryptionScratch(key: key)
            return range.map { scratch.decrypt(ciphertexts[$0].value) }
        }
    }
}
