/// The elementwise updates the rules that compare activities need (differences of activities,
/// targets, phases), over the elements in use, into a matrix's own storage: no new buffer.
extension Matrix {
    /// `self ← scale · source`.
    mutating func copyElements(from source: Matrix, scaledBy scale: Float) {
        precondition(source.rows == rows && source.columns == columns)
        let count = count
        storage.withUnsafeMutableBufferPointer { d in
            source.storage.withUnsafeBufferPointer { s in
                for k in 0..<count { d[k] = scale * s[k] }
            }
        }
    }

    /// `self ← self + scale · other`.
    mutating func add(_ other: Matrix, scaledBy scale: Float) {
        precondition(other.rows == rows && other.columns == columns)
        let count = count
        storage.withUnsafeMutableBufferPointer { d in
            other.storage.withUnsafeBufferPointer { s in
                for k in 0..<count { d[k] += scale * s[k] }
            }
        }
    }

    /// `self ← scale · (a − b)`.
    mutating func setDifference(_ a: Matrix, _ b: Matrix, scaledBy scale: Float = 1) {
        precondition(a.rows == rows && a.columns == columns && b.rows == rows && b.columns == columns)
        let count = count
        storage.withUnsafeMutableBufferPointer { d in
            a.storage.withUnsafeBufferPointer { a in
                b.storage.withUnsafeBufferPointer { b in
                    for k in 0..<count { d[k] = scale * (a[k] - b[k]) }
                }
            }
        }
    }

    /// `self ← self + a − b`.
    mutating func addDifference(_ a: Matrix, _ b: Matrix) {
        precondition(a.rows == rows && a.columns == columns && b.rows == rows && b.columns == columns)
        let count = count
        storage.withUnsafeMutableBufferPointer { d in
            a.storage.withUnsafeBufferPointer { a in
                b.storage.withUnsafeBufferPointer { b in
                    for k in 0..<count { d[k] += a[k] - b[k] }
                }
            }
        }
    }

    /// `self ← scale · self`.
    mutating func scale(by scale: Float) {
        let count = count
        storage.withUnsafeMutableBufferPointer { d in
            for k in 0..<count { d[k] *= scale }
        }
    }
}
