/// A gradient formed forward in time, step by step, with nothing sent back: RTRL's
/// sensitivities or e-prop's eligibility traces, carried from window to window through an epoch.
protocol OnlineGradient: Sendable {
    /// Every stream starts from a state that depends on nothing.
    mutating func reset()
    /// Runs the window's steps and writes its gradients of `W_in`, `W_rec`, `b` (summed over the
    /// steps, divided by the streams) into `gradients[0…2]`; `readout` (shaped like `W_out`)
    /// carries the output error back as the learning signal `Lₜ = readoutᵀ eₜ`.
    mutating func accumulate(_ window: RecurrentWindow, network: RecurrentNetwork, readout: Matrix, into gradients: inout [Matrix],
                             backend: LinearAlgebraBackend)
}

/// E-prop's eligibility traces (Bellec et al. 2020), which are RFLO's (Murray 2019): per stream
/// and postsynaptic unit u, a low-pass filter of what every synapse onto u did,
///
///     Pₜ[u, ·] = (1 − α) Pₜ₋₁[u, ·] + α (1 − rₜ[u]²) [xₜ, hₜ₋₁, 1],    ∇[u, ·] += Lₜ[u] Pₜ[u, ·],
///
/// over the input weights, the recurrent weights and the bias (`rₜ = tanh(aₜ)`, α the units'
/// leak). A vanilla unit (α = 1) forgets at once: `Pₜ = (1 − hₜ²)[xₜ, hₜ₋₁, 1]`. O(H²) per step and
/// stream, the cost of the forward pass.
struct EligibilityTraces: OnlineGradient {
    let hidden: Int, inputs: Int
    /// `Pₜ₋₁` per stream, `(H, I + H + 1)`.
    private var traces: [Matrix]
    /// `Lₜ` of every stream, `(streams, H)`, and the gradient summed over the streams.
    private var signal: Matrix, sum: Matrix

    init(streams: Int, hidden: Int, inputs: Int) {
        self.hidden = hidden
        self.inputs = inputs
        traces = (0..<streams).map { _ in Matrix(rows: hidden, columns: inputs + hidden + 1) }
        signal = Matrix(rows: streams, columns: hidden)
        sum = Matrix(rows: hidden, columns: inputs + hidden + 1)
    }

    mutating func reset() {
        for s in traces.indices { traces[s].fill(0) }
    }

    mutating func accumulate(_ window: RecurrentWindow, network: RecurrentNetwork, readout: Matrix, into gradients: inout [Matrix],
                             backend: LinearAlgebraBackend) {
        sum.fill(0)
        let (h, i, width) = (hidden, inputs, inputs + hidden + 1)
        let (leaky, α) = (network.isLeaky, network.leak)
        for t in 1...window.steps {
            backend.gemm(window.errors[t], .none, readout, .none, into: &signal)
            let (rate, input, before, learning) = (window.rate(t, leaky: leaky), window.inputs[t], window.states[t - 1], signal)
            for s in 0..<window.streams {
                traces[s].storage.withUnsafeMutableBufferPointer { p in
                    sum.storage.withUnsafeMutableBufferPointer { g in
                        for u in 0..<h {
                            let row = u * width, slope = α * (1 - rate[s, u] * rate[s, u]), keep = 1 - α, l = learning[s, u]
                            for c in 0..<i { p[row + c] = keep * p[row + c] + slope * input[s, c] }
                            for v in 0..<h { p[row + i + v] = keep * p[row + i + v] + slope * before[s, v] }
                            p[row + i + h] = keep * p[row + i + h] + slope
                            for k in 0..<width { g[row + k] += l * p[row + k] }
                        }
                    }
                }
            }
        }
        let scale = 1 / Float(window.streams)
        for u in 0..<h {
            for c in 0..<i { gradients[0][u, c] = scale * sum[u, c] }
            for v in 0..<h { gradients[1][u, v] = scale * sum[u, i + v] }
            gradients[2][0, u] = scale * sum[u, i + h]
        }
    }
}
