/// A dense, row-major matrix of `Float` with value semantics.
///
/// Concretely: element `(row, column)` lives at `storage[row * columns + column]`. Rows are
/// examples wherever a matrix holds a batch, so a batch of activities `h` is `(batch, units)`.
///
/// Copies share storage until one is mutated (copy-on-write, through `Array`). The hot path never
/// copies: kernels reach the storage through `withUnsafeBufferPointer` /
/// `withUnsafeMutableBufferPointer` on matrices allocated once per batch size.
public struct Matrix: Sendable, Equatable {
    /// Rows in use.
    public private(set) var rows: Int
    /// Columns.
    public private(set) var columns: Int
    /// The elements, row-major; may hold more rows than are in use.
    public var storage: [Float]

    /// A matrix of the given shape, every element `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "a matrix shape is non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Float](repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major elements; `elements.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, elements: [Float]) {
        precondition(elements.count == rows * columns, "element count must equal rows × columns")
        self.rows = rows
        self.columns = columns
        self.storage = elements
    }

    /// A matrix whose elements are drawn by `generate(row, column)`, in row-major order.
    public init(rows: Int, columns: Int, generate: (Int, Int) -> Float) {
        self.init(rows: rows, columns: columns)
        for r in 0..<rows {
            for c in 0..<columns { storage[r * columns + c] = generate(r, c) }
        }
    }

    /// Elements in use.
    public var count: Int { rows * columns }
    /// `(rows, columns)`.
    public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// The element at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// Changes the number of rows, keeping the column count (used when the last batch of an
    /// epoch is smaller). Growing beyond the allocated capacity allocates once; shrinking and
    /// regrowing within it does not.
    public mutating func resizeRows(_ newRows: Int) {
        guard newRows != rows else { return }
        let needed = newRows * columns
        if storage.count < needed {
            storage.append(contentsOf: repeatElement(0, count: needed - storage.count))
        }
        rows = newRows
    }

    /// The transpose, as a new matrix (not for the hot path).
    public var transposed: Matrix {
        Matrix(rows: columns, columns: rows) { r, c in self[c, r] }
    }

    /// The elements in use, `rows * columns` of them (storage may be longer after `resizeRows`).
    public var elements: ArraySlice<Float> { storage[0..<count] }

    public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
        lhs.rows == rhs.rows && lhs.columns == rhs.columns && lhs.elements == rhs.elements
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = (0..<min(rows, 6)).map { r in
            (0..<min(columns, 8)).map { c in String(format: "% .4f", self[r, c]) }
                .joined(separator: " ") + (columns > 8 ? " …" : "")
        }
        return "Matrix(\(rows)×\(columns))\n" + shown.joined(separator: "\n") + (rows > 6 ? "\n…" : "")
    }
}

import Foundation

// MARK: - Row-wise kernels used by the network

extension Matrix {
    /// Sets every row in use to `row` (a `(1, columns)` matrix), e.g. broadcasting a bias.
    public mutating func fillRows(with row: Matrix) {
        precondition(row.rows == 1 && row.columns == columns)
        let (rows, columns) = (rows, columns)
        row.storage.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                for r in 0..<rows {
                    (target.baseAddress! + r * columns).update(from: source.baseAddress!, count: columns)
                }
            }
        }
    }

    /// `self ← other`, element by element into this matrix's own storage (no new buffer, unlike
    /// assignment, which would share `other`'s and copy on the next write).
    public mutating func copyElements(from other: Matrix) {
        precondition(other.rows == rows && other.columns == columns)
        let count = count
        other.storage.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in target.baseAddress!.update(from: source.baseAddress!, count: count) }
        }
    }

    /// A matrix of the same shape with `transform` applied to every element in use.
    public func map(_ transform: (Float) -> Float) -> Matrix {
        Matrix(rows: rows, columns: columns, elements: elements.map(transform))
    }

    /// Sets every element in use to `value`.
    public mutating func fill(_ value: Float) {
        let count = count
        storage.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: value, count: count) }
    }

    /// `self ← self + other`, elementwise over the elements in use.
    public mutating func add(_ other: Matrix) {
        precondition(other.rows == rows && other.columns == columns)
        let count = count
        other.storage.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                var operands = (source: source.baseAddress!, target: target.baseAddress!)
                withUnsafePointer(to: &operands) { operands in
                    Parallel.forEachChunk(count, context: operands) { context, lower, upper in
                        let (s, t) = context.assumingMemoryBound(to: (source: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>).self).pointee
                        var i = lower
                        while i + 8 <= upper { store8(load8(t + i) + load8(s + i), t + i); i += 8 }
                        while i < upper { t[i] += s[i]; i += 1 }
                    }
                }
            }
        }
    }

    /// `into ← scale · Σ_rows self` as a `(1, columns)` row: the column sums, scaled.
    public func sumRows(scaledBy scale: Float, into result: inout Matrix) {
        precondition(result.rows == 1 && result.columns == columns)
        let (rows, columns) = (rows, columns)
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                let t = target.baseAddress!, s = source.baseAddress!
                if VectorKernels.sumRows(s, rows: rows, columns: columns, scale: scale, into: t) { return }
                t.update(repeating: 0, count: columns)
                for r in 0..<rows {
                    let row = s + r * columns
                    var c = 0
                    while c + 8 <= columns {
                        store8(load8(t + c) + load8(row + c), t + c)
                        c += 8
                    }
                    while c < columns { t[c] += row[c]; c += 1 }
                }
                for c in 0..<columns { t[c] *= scale }
            }
        }
    }
}

extension Matrix {
    /// `result ← result + scale · Σ_rows self`, row by row in order (a bias change accumulated over
    /// several products or time steps).
    public func addRowSums(scaledBy scale: Float, into result: inout Matrix) {
        precondition(result.rows == 1 && result.columns == columns)
        let (rows, columns) = (rows, columns)
        storage.withUnsafeBufferPointer { source in
            result.storage.withUnsafeMutableBufferPointer { target in
                let t = target.baseAddress!, s = source.baseAddress!
                for r in 0..<rows {
                    let row = s + r * columns
                    for c in 0..<columns { t[c] += scale * row[c] }
                }
            }
        }
    }
}
