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
/// leak). A vanilla unit (α = 1) forgets at once: `Pₜ = (1 − hₜ²)[xₜ, hₜ₋₁, 1]`. A leaky readout
/// (κ > 0) filters the traces once more with its own leak before they meet the learning signal,
/// `P̄ₜ = κP̄ₜ₋₁ + Pₜ`, and the readout's gradient is formed the same way, `Σₜ eₜ h̄ₜᵀ` with
/// `h̄ₜ = κh̄ₜ₋₁ + hₜ` (Bellec et al.'s filtered traces). O(H²) per step and stream, the cost of
/// the forward pass.
struct EligibilityTraces: OnlineGradient {
    let hidden: Int, inputs: Int, outputs: Int
    /// `κ`, the readout's leak (0: the plain readout).
    let readoutLeak: Float
    /// `Pₜ₋₁` per stream, `(H, I + H + 1)`, and with a leaky readout `P̄ₜ₋₁`.
    private var traces: [Matrix], filtered: [Matrix]
    /// `[h̄ₜ₋₁, b̄ₜ₋₁]` per stream, `(1, H + 1)`: the readout's presynaptic traces (leaky readout only).
    private var readoutTraces: [Matrix]
    /// `Lₜ` of every stream, `(streams, H)`, and the gradient summed over the streams.
    private var signal: Matrix, sum: Matrix
    /// The readout's gradient summed over the streams, `(O, H + 1)` (leaky readout only).
    private var readoutSum: Matrix

    init(streams: Int, hidden: Int, inputs: Int, outputs: Int = 1, readoutLeak: Float = 0) {
        self.hidden = hidden
        self.inputs = inputs
        self.outputs = outputs
        self.readoutLeak = readoutLeak
        let leaky = readoutLeak > 0
        traces = (0..<streams).map { _ in Matrix(rows: hidden, columns: inputs + hidden + 1) }
        filtered = leaky ? traces : []
        readoutTraces = leaky ? (0..<streams).map { _ in Matrix(rows: 1, columns: hidden + 1) } : []
        signal = Matrix(rows: streams, columns: hidden)
        sum = Matrix(rows: hidden, columns: inputs + hidden + 1)
        readoutSum = Matrix(rows: leaky ? outputs : 0, columns: hidden + 1)
    }

    mutating func reset() {
        for s in traces.indices { traces[s].fill(0) }
        for s in filtered.indices { filtered[s].fill(0) }
        for s in readoutTraces.indices { readoutTraces[s].fill(0) }
    }

    mutating func accumulate(_ window: RecurrentWindow, network: RecurrentNetwork, readout: Matrix, into gradients: inout [Matrix],
                             backend: LinearAlgebraBackend) {
        sum.fill(0)
        let (h, i, width) = (hidden, inputs, inputs + hidden + 1)
        let (leaky, α, κ) = (network.isLeaky, network.leak, readoutLeak)
        if κ > 0 { readoutSum.fill(0) }
        for t in 1...window.steps {
            backend.gemm(window.errors[t], .none, readout, .none, into: &signal)
            let (rate, input, before, learning) = (window.rate(t, leaky: leaky), window.inputs[t], window.states[t - 1], signal)
            for s in 0..<window.streams {
                traces[s].storage.withUnsafeMutableBufferPointer { p in
                    sum.storage.withUnsafeMutableBufferPointer { g in
                        for u in 0..<h {
                            let row = u * width, slope = α * (1 - rate[s, u] * rate[s, u]), keep = 1 - α
                            for c in 0..<i { p[row + c] = keep * p[row + c] + slope * input[s, c] }
                            for v in 0..<h { p[row + i + v] = keep * p[row + i + v] + slope * before[s, v] }
                            p[row + i + h] = keep * p[row + i + h] + slope
                        }
                        if κ > 0 {
                            filtered[s].storage.withUnsafeMutableBufferPointer { f in
                                for k in 0..<(h * width) { f[k] = κ * f[k] + p[k] }
                                Self.meet(learning, stream: s, traces: UnsafeBufferPointer(f), into: g, hidden: h, width: width)
                            }
                        } else {
                            Self.meet(learning, stream: s, traces: UnsafeBufferPointer(p), into: g, hidden: h, width: width)
                        }
                    }
                }
                if κ > 0 { accumulateReadout(window, step: t, stream: s) }
            }
        }
        let scale = 1 / Float(window.streams)
        for u in 0..<h {
            for c in 0..<i { gradients[0][u, c] = scale * sum[u, c] }
            for v in 0..<h { gradients[1][u, v] = scale * sum[u, i + v] }
            gradients[2][0, u] = scale * sum[u, i + h]
        }
        if κ > 0 {
            for o in 0..<outputs {
                for u in 0..<h { gradients[3][o, u] = scale * readoutSum[o, u] }
                gradients[4][0, o] = scale * readoutSum[o, h]
            }
        }
    }

    /// `∇[u, ·] += Lₜ[u] P[u, ·]` for every unit of stream `s`.
    private static func meet(_ learning: Matrix, stream s: Int, traces p: UnsafeBufferPointer<Float>, into g: UnsafeMutableBufferPointer<Float>,
                             hidden: Int, width: Int) {
        for u in 0..<hidden {
            let row = u * width, l = learning[s, u]
            for k in 0..<width { g[row + k] += l * p[row + k] }
        }
    }

    /// The leaky readout's online gradient at step `t` of stream `s`: `h̄ₜ = κh̄ₜ₋₁ + hₜ`,
    /// `b̄ₜ = κb̄ₜ₋₁ + 1`, `∇[W_out, b_out] += eₜ [h̄ₜ, b̄ₜ]`.
    private mutating func accumulateReadout(_ window: RecurrentWindow, step t: Int, stream s: Int) {
        let (h, κ) = (hidden, readoutLeak)
        for u in 0..<h { readoutTraces[s][0, u] = κ * readoutTraces[s][0, u] + window.states[t][s, u] }
        readoutTraces[s][0, h] = κ * readoutTraces[s][0, h] + 1
        for o in 0..<outputs {
            let e = window.errors[t][s, o]
            guard e != 0 else { continue }
            for u in 0...h { readoutSum[o, u] += e * readoutTraces[s][0, u] }
        }
    }
}
