/// Real-time recurrent learning (Williams & Zipser 1989): the exact gradient of the loss so far,
/// computed forward in time. Each stream carries the sensitivity of its state to every parameter
/// of the recurrent layer, `Sₜ = ∂hₜ/∂θ` (`θ = W_in, W_rec, b`, an `(H, P)` matrix),
///
///     Sₜ = (1 − α) Sₜ₋₁ + α diag(1 − rₜ²) (W_rec Sₜ₋₁ + ∂aₜ/∂θ),   ∇θ += (W_outᵀ eₜ)ᵀ Sₜ,
///
/// (`rₜ = tanh(aₜ)`; vanilla units, α = 1: `Sₜ = diag(1 − hₜ²)(W_rec Sₜ₋₁ + ∂aₜ/∂θ)`),
///
/// so the gradient at every step is the full one, never truncated — what BPTT over the whole
/// sequence gives (tested). Its cost is O(H⁴) per step and stream (`W_rec Sₜ₋₁` is H × H × P with
/// P ≈ H²): a reference for small nets only.
struct RealTimeRecurrentLearning: OnlineGradient {
    let hidden: Int, inputs: Int
    /// `Sₜ₋₁` per stream, `(H, P)`, and the step's new one.
    private var sensitivities: [Matrix], next: Matrix
    /// `W_outᵀ eₜ` of one stream, `(1, H)`, and the flat gradient it meets, `(1, P)`.
    private var signal: Matrix, flat: Matrix

    /// P: every parameter of the recurrent layer, `W_in` then `W_rec` (row-major) then `b`.
    var parameterCount: Int { hidden * inputs + hidden * hidden + hidden }

    init(streams: Int, hidden: Int, inputs: Int) {
        self.hidden = hidden
        self.inputs = inputs
        let count = hidden * inputs + hidden * hidden + hidden
        sensitivities = (0..<streams).map { _ in Matrix(rows: hidden, columns: count) }
        next = Matrix(rows: hidden, columns: count)
        signal = Matrix(rows: 1, columns: hidden)
        flat = Matrix(rows: 1, columns: count)
    }

    /// The bytes its sensitivities take for `streams` streams of an `hidden`-unit net with `inputs`.
    static func memory(streams: Int, hidden: Int, inputs: Int) -> Int {
        streams * hidden * (hidden * inputs + hidden * hidden + hidden) * MemoryLayout<Float>.size
    }

    /// Every stream starts from a state that depends on nothing.
    mutating func reset() {
        for s in sensitivities.indices { sensitivities[s].fill(0) }
    }

    /// Runs the sensitivities through the window's steps and writes the window's gradients of
    /// `W_in`, `W_rec`, `b` (summed over steps, divided by the streams) into `gradients[0…2]`;
    /// the exact gradient takes `readout = W_out`.
    mutating func accumulate(_ window: RecurrentWindow, network: RecurrentNetwork, readout: Matrix, into gradients: inout [Matrix],
                             backend: LinearAlgebraBackend) {
        flat.fill(0)
        let (h, i, columns) = (hidden, inputs, parameterCount)
        let (leaky, α) = (network.isLeaky, network.leak)
        for t in 1...window.steps {
            let rate = window.rate(t, leaky: leaky)
            for s in 0..<window.streams {
                // next = W_rec S + ∂a/∂θ, then each unit's row times 1 − h².
                backend.gemm(network.recurrentWeights, .none, sensitivities[s], .none, into: &next)
                next.storage.withUnsafeMutableBufferPointer { n in
                    for u in 0..<h {
                        let row = u * columns
                        for c in 0..<i { n[row + u * i + c] += window.inputs[t][s, c] }
                        for v in 0..<h { n[row + h * i + u * h + v] += window.states[t - 1][s, v] }
                        n[row + h * i + h * h + u] += 1
                        let slope = (leaky ? α : 1) * (1 - rate[s, u] * rate[s, u])
                        for k in 0..<columns { n[row + k] *= slope }
                    }
                }
                if leaky { next.add(sensitivities[s], scaledBy: 1 - α) }
                swap(&sensitivities[s], &next)
                // ∇θ += (W_outᵀ eₜ)ᵀ Sₜ for this stream.
                for u in 0..<h {
                    var sum: Float = 0
                    for o in 0..<network.outputSize { sum += readout[o, u] * window.errors[t][s, o] }
                    signal[0, u] = sum
                }
                backend.gemm(signal, .none, sensitivities[s], .none, into: &flat, beta: 1)
            }
        }
        let scale = 1 / Float(window.streams)
        flat.storage.withUnsafeBufferPointer { g in
            for u in 0..<h {
                for c in 0..<i { gradients[0][u, c] = scale * g[u * i + c] }
                for v in 0..<h { gradients[1][u, v] = scale * g[h * i + u * h + v] }
                gradients[2][0, u] = scale * g[h * i + h * h + u]
            }
        }
    }
}

/// RTRL's settings (`--rule rtrl`, recurrent networks only): nothing to set.
public struct RealTimeRecurrentLearningSettings: RuleSettings {
    public init() {}

    public init?(argument: String) {
        guard argument.lowercased() == "rtrl" else { return nil }
        self.init()
    }

    public static let identifier = "rtrl"
    public static let argumentHelp = "rtrl (recurrent networks, small ones: O(n⁴) per step)"
    public var description: String { "rtrl" }

    /// RTRL computes gradients through time only.
    public func makeRule(for network: Network, loss: Loss, random: inout RandomSource) throws(ConfigurationError) -> any LearningRule {
        throw .invalid(field: "rule", value: "rtrl", expected: "a recurrent network for RTRL (credit train-rnn)")
    }
}
