import Foundation

/// The training objective, averaged over the examples of a batch.
///
/// Concretely, per example with output activity `ŷ = hᴸ` and target `y`:
/// - `crossEntropy`: `L = −Σₖ yₖ log softmax(ŷ)ₖ`; the output layer must be linear (`ŷ` are logits)
///   and `∂L/∂ŷ = softmax(ŷ) − y`;
/// - `squaredError`: `L = ½ Σₖ (ŷₖ − yₖ)²`; `∂L/∂ŷ = ŷ − y`.
///
/// - `rectilinear` (Kickback's rectilinear regression, Balduzzi et al. 2015, eq. 8): two output
///   rectifiers, one positive and one negative, predict `ŷ = h₊ + h₋` of a scalar target `y`.
///   Each node regresses linearly on the inputs that make it fire, towards its share of the
///   target — `max(y, 0)` for the positive node, `min(y, 0)` for the negative one — which is
///   eq. (8)'s ℓ2-penalized rectilinear loss. `∂L/∂h = (h₊ − max(y,0), h₋ − min(y,0))`; the
///   reported loss is `½(ŷ − y)²`, the prediction's. **[reconstructed]**: the paper gives the
///   update (8) but not each node's target; ALGORITHMS.md reads it as the target's sign.
///
/// The output error is then `e = ∂L/∂aᴸ = ∂L/∂ŷ ⊙ f'(aᴸ)`, which for both losses with a linear
/// output is `ŷ − y` (ALGORITHMS.md).
public enum Loss: String, CaseIterable, Sendable, Codable {
    case crossEntropy = "cross-entropy"
    case squaredError = "squared-error"
    case rectilinear

    /// Writes `∂L/∂ŷ` (per example, not divided by the batch size) into `gradient` and returns the
    /// summed loss over the rows in use.
    @discardableResult
    public func gradient(output: Matrix, target: Matrix, into gradient: inout Matrix) -> Double {
        if self == .rectilinear { return Self.rectilinearGradient(output: output, target: target, into: &gradient) }
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
                        case .rectilinear: break
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

    /// The number of output units for a target of `width` values.
    public func outputWidth(forTargetWidth width: Int) -> Int {
        self == .rectilinear ? 2 * width : width
    }

    /// The prediction `ŷ` of row `r` of the network output, column `k` of the target.
    @inline(__always)
    public func prediction(_ output: Matrix, row r: Int, column k: Int) -> Float {
        self == .rectilinear ? output[r, 2 * k] + output[r, 2 * k + 1] : output[r, k]
    }

    private static func rectilinearGradient(output: Matrix, target: Matrix, into gradient: inout Matrix) -> Double {
        precondition(output.rows == target.rows && output.columns == 2 * target.columns && gradient.columns == output.columns)
        var total = 0.0
        for r in 0..<output.rows {
            for k in 0..<target.columns {
                let y = target[r, k], positive = output[r, 2 * k], negative = output[r, 2 * k + 1]
                gradient[r, 2 * k] = positive - max(y, 0)
                gradient[r, 2 * k + 1] = negative - min(y, 0)
                let d = Double(positive + negative - y)
                total += 0.5 * d * d
            }
        }
        return total
    }

    /// Each example's loss, one value per row in use, into `values` (no allocation once it holds
    /// `output.rows` values). Node perturbation needs these per example, not summed over the batch.
    public func exampleLosses(output: Matrix, target: Matrix, into values: inout [Float]) {
        if values.count < output.rows { values.append(contentsOf: repeatElement(0, count: output.rows - values.count)) }
        let columns = output.columns
        if self == .squaredError {
            output.storage.withUnsafeBufferPointer { o in
                target.storage.withUnsafeBufferPointer { t in
                    for r in 0..<output.rows {
                        var loss: Float = 0
                        for k in (r * columns)..<((r + 1) * columns) {
                            let d = o[k] - t[k]
                            loss += d * d
                        }
                        values[r] = 0.5 * loss
                    }
                }
            }
            return
        }
        for r in 0..<output.rows {
            var loss: Float = 0
            switch self {
            case .crossEntropy:
                var maximum = -Float.infinity
                for c in 0..<columns { maximum = max(maximum, output[r, c]) }
                var sum: Float = 0
                for c in 0..<columns { sum += Foundation.exp(output[r, c] - maximum) }
                let logSum = Foundation.log(sum)
                for c in 0..<columns where target[r, c] != 0 { loss -= target[r, c] * (output[r, c] - maximum - logSum) }
            case .squaredError:
                for c in 0..<columns {
                    let d = output[r, c] - target[r, c]
                    loss += 0.5 * d * d
                }
            case .rectilinear:
                for k in 0..<target.columns {
                    let d = prediction(output, row: r, column: k) - target[r, k]
                    loss += 0.5 * d * d
                }
            }
            values[r] = loss
        }
    }

    /// The summed loss over the rows in use, without a gradient (for evaluation).
    public func value(output: Matrix, target: Matrix, scratch: inout Matrix) -> Double {
        gradient(output: output, target: target, into: &scratch)
    }

    /// Each row in use of `logits` replaced by its softmax (the probabilities cross-entropy compares
    /// with the target).
    static func softmaxRows(_ logits: inout Matrix) {
        let (rows, columns) = (logits.rows, logits.columns)
        logits.storage.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows {
                let row = o.baseAddress! + r * columns
                var maximum = -Float.infinity
                for c in 0..<columns { maximum = max(maximum, row[c]) }
                var sum: Float = 0
                for c in 0..<columns {
                    row[c] = Foundation.exp(row[c] - maximum)
                    sum += row[c]
                }
                for c in 0..<columns { row[c] /= sum }
            }
        }
    }
}
