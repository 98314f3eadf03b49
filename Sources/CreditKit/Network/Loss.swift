import Foundation

/// The training objective, averaged over the examples of a batch.
///
/// Concretely, per example with output activity `ŷ = hᴸ` and target `y`:
/// - `crossEntropy`: `L = −Σₖ yₖ log softmax(ŷ)ₖ`; the output layer must be linear (`ŷ` are logits)
///   and `∂L/∂ŷ = softmax(ŷ) − y`;
/// - `squaredError`: `L = ½ Σₖ (ŷₖ − yₖ)²`; `∂L/∂ŷ = ŷ − y`.
///
/// The output error is then `e = ∂L/∂aᴸ = ∂L/∂ŷ ⊙ f'(aᴸ)`, which for both losses with a linear
/// output is `ŷ − y` (ALGORITHMS.md).
public enum Loss: String, CaseIterable, Sendable, Codable {
    case crossEntropy = "cross-entropy"
    case squaredError = "squared-error"

    /// Writes `∂L/∂ŷ` (per example, not divided by the batch size) into `gradient` and returns the
    /// summed loss over the rows in use.
    @discardableResult
    public func gradient(output: Matrix, target: Matrix, into gradient: inout Matrix) -> Double {
        precondition(output.rows == target.rows && output.columns == target.columns)
        let rows = output.rows, columns = output.columns
        var total = 0.0
        output.storage.withUnsafeBufferPointer { o in
            target.storage.withUnsafeBufferPointer { t in
                gradient.storage.withUnsafeMutableBufferPointer { g in
                    let o = o.baseAddress!, t = t.baseAddress!, g = g.baseAddress!
                    for r in 0..<rows {
                        let base = r * columns
                        switch self {
                        case .crossEntropy:
                            var maximum = -Float.infinity
                            for c in 0..<columns { maximum = max(maximum, o[base + c]) }
                            var sum: Float = 0
                            for c in 0..<columns {
                                let e = Foundation.exp(o[base + c] - maximum)
                                g[base + c] = e
                                sum += e
                            }
                            let logSum = Foundation.log(sum)
                            var loss: Float = 0
                            for c in 0..<columns {
                                let y = t[base + c]
                                if y != 0 { loss -= y * (o[base + c] - maximum - logSum) }
                                g[base + c] = g[base + c] / sum - y
                            }
                            total += Double(loss)
                        case .squaredError:
                            var loss: Float = 0
                            for c in 0..<columns {
                                let d = o[base + c] - t[base + c]
                                g[base + c] = d
                                loss += d * d
                            }
                            total += 0.5 * Double(loss)
                        }
                    }
                }
            }
        }
        return total
    }

    /// The summed loss over the rows in use, without a gradient (for evaluation).
    public func value(output: Matrix, target: Matrix, scratch: inout Matrix) -> Double {
        gradient(output: output, target: target, into: &scratch)
    }
}
