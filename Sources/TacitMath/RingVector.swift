/// A vector of ring elements with element-wise arithmetic: the unit that MPC protocols
/// batch over (one message carries a whole vector of shares).
///
/// Operations on vectors of different lengths are programming errors and trap, naming both
/// lengths; lengths that come from the network are checked when decoding.
public struct RingVector<Element: RingElement>: Sendable, Hashable {
    public var elements: [Element]

    @inlinable public init(_ elements: [Element]) { self.elements = elements }

    @inlinable
    public init(repeating element: Element, count: Int) {
        elements = [Element](repeating: element, count: count)
    }

    @inlinable public static func zeros(_ count: Int) -> Self { Self(repeating: .zero, count: count) }

    /// `count` uniformly random elements from ``SecureRandom``.
    @inlinable
    public static func random(count: Int) -> Self {
        var generator = SecureRandom()
        return random(count: count, using: &generator)
    }

    @inlinable
    public static func random(count: Int, using generator: inout some RandomNumberGenerator) -> Self {
        var elements = [Element]()
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(.random(using: &generator)) }
        return Self(elements)
    }

    @inlinable
    static func checkLengths(_ lhs: Self, _ rhs: Self, _ operation: StaticString) {
        precondition(lhs.count == rhs.count,
                     "RingVector.\(operation): lengths differ (\(lhs.count) and \(rhs.count))")
    }

    @inlinable
    static func zip(_ lhs: Self, _ rhs: Self, _ operation: StaticString,
                    _ body: (Element, Element) -> Element) -> Self {
        checkLengths(lhs, rhs, operation)
        let n = lhs.count
        let result = [Element](unsafeUninitializedCapacity: n) { out, initialised in
            lhs.elements.withUnsafeBufferPointer { a in
                rhs.elements.withUnsafeBufferPointer { b in
                    for i in 0..<n { (out.baseAddress! + i).initialize(to: body(a[i], b[i])) }
                }
            }
            initialised = n
        }
        return Self(result)
    }

    @inlinable public static func + (lhs: Self, rhs: Self) -> Self { zip(lhs, rhs, "+", +) }
    @inlinable public static func - (lhs: Self, rhs: Self) -> Self { zip(lhs, rhs, "-", -) }
    /// Element-wise (Hadamard) product.
    @inlinable public static func * (lhs: Self, rhs: Self) -> Self { zip(lhs, rhs, "*", *) }

    @inlinable
    public static prefix func - (operand: Self) -> Self { Self(operand.elements.map { -$0 }) }

    @inlinable
    public static func * (scalar: Element, vector: Self) -> Self { Self(vector.elements.map { scalar * $0 }) }

    @inlinable
    public static func * (vector: Self, scalar: Element) -> Self { scalar * vector }

    @inlinable
    public static func += (lhs: inout Self, rhs: Self) {
        checkLengths(lhs, rhs, "+=")
        rhs.elements.withUnsafeBufferPointer { b in
            lhs.elements.withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] = a[i] + b[i] }
            }
        }
    }

    @inlinable
    public static func -= (lhs: inout Self, rhs: Self) {
        checkLengths(lhs, rhs, "-=")
        rhs.elements.withUnsafeBufferPointer { b in
            lhs.elements.withUnsafeMutableBufferPointer { a in
                for i in 0..<a.count { a[i] = a[i] - b[i] }
            }
        }
    }

    /// Adds `scalar` to every element.
    @inlinable
    public func adding(_ scalar: Element) -> Self { Self(elements.map { $0 + scalar }) }

    /// The sum of all elements.
    @inlinable
    public func sum() -> Element { elements.reduce(.zero, +) }

    /// The inner product.
    @inlinable
    public func dot(_ other: Self) -> Element {
        Self.checkLengths(self, other, "dot")
        var total = Element.zero
        elements.withUnsafeBufferPointer { a in
            other.elements.withUnsafeBufferPointer { b in
                for i in 0..<a.count { total = total + a[i] * b[i] }
            }
        }
        return total
    }
}

extension RingVector: RandomAccessCollection, MutableCollection {
    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { elements.count }
    @inlinable public subscript(position: Int) -> Element {
        get { elements[position] }
        set { elements[position] = newValue }
    }
}

extension RingVector: ExpressibleByArrayLiteral {
    @inlinable public init(arrayLiteral elements: Element...) { self.init(elements) }
}

// MARK: Wire encoding

extension RingVector {
    /// `byteWidth` little-endian bytes per element, nothing else: the length travels in the
    /// message header.
    public func serialized() -> [UInt8] {
        let width = Element.byteWidth
        var out = [UInt8](repeating: 0, count: elements.count * width)
        out.withUnsafeMutableBytes { raw in
            for (i, element) in elements.enumerated() {
                element.storeLittleEndian(to: UnsafeMutableRawBufferPointer(rebasing: raw[(i * width)..<((i + 1) * width)]))
            }
        }
        return out
    }

    /// Decodes what ``serialized()`` wrote, checking the length (and `expectedCount`, when
    /// given) and that every element is canonical: a malformed share message is an error
    /// here, never a wrong answer later.
    public init(serialized bytes: some Collection<UInt8>, expectedCount: Int? = nil) throws {
        let width = Element.byteWidth
        let array = Array(bytes)
        guard array.count % width == 0 else {
            throw MathError(.invalidNumber, "a vector of \(Element.orderDescription) elements takes \(width) bytes each; got \(array.count) bytes, not a multiple")
        }
        let count = array.count / width
        if let expectedCount, expectedCount != count {
            throw MathError(.invalidNumber, "expected a vector of \(expectedCount) elements, got \(count)")
        }
        var elements = [Element]()
        elements.reserveCapacity(count)
        try array.withUnsafeBytes { raw in
            for i in 0..<count {
                let slice = UnsafeRawBufferPointer(rebasing: raw[(i * width)..<((i + 1) * width)])
                do {
                    elements.append(try Element(littleEndianBytes: slice))
                } catch let error as MathError {
                    throw MathError(error.code, "element \(i): \(error.message)")
                }
            }
        }
        self.init(elements)
    }
}

public typealias Ring64Vector = RingVector<Ring64>
public typealias Field61Vector = RingVector<Mersenne61>
