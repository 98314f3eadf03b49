import Foundation

/// The elementary comparisons behind every diagnostic, over all elements in use of two matrices
/// of one shape, accumulated in `Double`.
public enum Alignment {
    /// The angle in degrees between `a` and `b` read as flat vectors, in [0°, 180°] — never folded
    /// into [0°, 90°], so anti-alignment shows. NaN when either is zero.
    public static func angle(_ a: Matrix, _ b: Matrix) -> Double {
        let (dot, aa, bb) = products(a, b)
        guard aa > 0, bb > 0 else { return .nan }
        let cosine = max(-1, min(1, dot / (aa * bb).squareRoot()))
        return acos(cosine) * 180 / .pi
    }

    /// Percentage of entries with equal sign (zeros count as a sign of their own).
    public static func signCongruence(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.count == b.count)
        guard a.count > 0 else { return .nan }
        var equal = 0
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                for i in 0..<a.count where (x[i] > 0) == (y[i] > 0) && (x[i] < 0) == (y[i] < 0) { equal += 1 }
            }
        }
        return 100 * Double(equal) / Double(a.count)
    }

    /// Percentage of positions where `a` and `b` have the same sign, among those where either is
    /// non-zero (NaN when both are zero everywhere).
    public static func signAgreement(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.count == b.count)
        var same = 0, counted = 0
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                for i in 0..<a.count where x[i] != 0 || y[i] != 0 {
                    counted += 1
                    if (x[i] > 0 && y[i] > 0) || (x[i] < 0 && y[i] < 0) { same += 1 }
                }
            }
        }
        return counted > 0 ? 100 * Double(same) / Double(counted) : .nan
    }

    /// `‖reference − b‖_F / ‖reference‖_F`.
    public static func relativeError(_ b: Matrix, from reference: Matrix) -> Double {
        precondition(b.count == reference.count)
        var difference = 0.0, norm = 0.0
        b.storage.withUnsafeBufferPointer { x in
            reference.storage.withUnsafeBufferPointer { r in
                for i in 0..<b.count {
                    let d = Double(x[i]) - Double(r[i])
                    difference += d * d
                    norm += Double(r[i]) * Double(r[i])
                }
            }
        }
        return (difference / norm).squareRoot()
    }

    /// `‖a‖_F / ‖b‖_F`.
    public static func normRatio(_ a: Matrix, _ b: Matrix) -> Double {
        (squaredNorm(a) / squaredNorm(b)).squareRoot()
    }

    static func squaredNorm(_ a: Matrix) -> Double {
        products(a, a).dot
    }

    private static func products(_ a: Matrix, _ b: Matrix) -> (dot: Double, aa: Double, bb: Double) {
        precondition(a.count == b.count, "compared matrices must have one shape")
        var dot = 0.0, aa = 0.0, bb = 0.0
        a.storage.withUnsafeBufferPointer { x in
            b.storage.withUnsafeBufferPointer { y in
                for i in 0..<a.count {
                    let p = Double(x[i]), q = Double(y[i])
                    dot += p * q
                    aa += p * p
                    bb += q * q
                }
            }
        }
        return (dot, aa, bb)
    }
}
