import Foundation

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
    /// The window's learning signals `L₁…L_k` and the running backward sum Λ, `(streams, H)` each,
    /// then every stream's scaled slopes `(streams·k, H)` and presynaptic rows `(streams·k, I + H + 1)`,
    /// k rows per stream: the window-at-once form of leaky traces (sized by the first window).
    private var signals: [Matrix] = [], running: Matrix, slopes = Matrix(rows: 0, columns: 0), presynaptic = Matrix(rows: 0, columns: 0)
    /// `α γ^{k−τ}` for τ = 1 … k: each step's weight in the traces carried out of the window.
    private var stepWeights: [Float] = []

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
        running = Matrix(rows: streams, columns: hidden)
    }

    mutating func reset() {
        for s in traces.indices { traces[s].fill(0) }
        for s in filtered.indices { filtered[s].fill(0) }
        for s in readoutTraces.indices { readoutTraces[s].fill(0) }
    }

    mutating func accumulate(_ window: RecurrentWindow, network: RecurrentNetwork, readout: Matrix, into gradients: inout [Matrix],
                             backend: LinearAlgebraBackend) {
        if readoutLeak == 0 {
            if network.isLeaky {
                accumulateWindow(window, leak: network.leak, readout: readout, into: &gradients, backend: backend)
            } else {
                accumulateMemoryless(window, readout: readout, into: &gradients, backend: backend)
            }
            return
        }
        sum.fill(0)
        let (h, i) = (hidden, inputs)
        let (α, κ) = (network.leak, readoutLeak)
        if κ > 0 { readoutSum.fill(0) }
        for t in 1...window.steps {
            backend.gemm(window.errors[t], .none, readout, .none, into: &signal)
            let (rate, input, before) = (window.rate(t, leaky: network.isLeaky), window.inputs[t], window.states[t - 1])
            for s in 0..<window.streams {
                rate.storage.withUnsafeBufferPointer { r in
                    input.storage.withUnsafeBufferPointer { x in
                        before.storage.withUnsafeBufferPointer { hPrevious in
                            signal.storage.withUnsafeBufferPointer { l in
                                traces[s].storage.withUnsafeMutableBufferPointer { p in
                                    sum.storage.withUnsafeMutableBufferPointer { g in
                                        let (x, hPrevious) = (x.baseAddress! + s * i, hPrevious.baseAddress! + s * h)
                                        let (r, l) = (r.baseAddress! + s * h, l.baseAddress! + s * h)
                                        if κ > 0 {
                                            filtered[s].storage.withUnsafeMutableBufferPointer { f in
                                                Self.step(p.baseAddress!, filtered: f.baseAddress!, leak: α, readoutLeak: κ, rates: r, signal: l,
                                                          x: x, hPrevious: hPrevious, into: g.baseAddress!, hidden: h, inputs: i)
                                            }
                                        } else {
                                            Self.step(p.baseAddress!, filtered: nil, leak: α, readoutLeak: 0, rates: r, signal: l,
                                                      x: x, hPrevious: hPrevious, into: g.baseAddress!, hidden: h, inputs: i)
                                        }
                                    }
                                }
                            }
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

    /// One step of one stream's traces: per unit u, `P[u] ← (1 − α)P[u] + α(1 − r[u]²)[x, h₋₁, 1]`,
    /// through a leaky readout `P̄[u] ← κP̄[u] + P[u]`, then `∇[u] += L[u] P̄[u]` (P̄ = P without
    /// it). Raw pointers and plain loops over a row, so that the compiler vectorizes them.
    @inline(__always)
    private static func step(_ p: UnsafeMutablePointer<Float>, filtered: UnsafeMutablePointer<Float>?, leak α: Float, readoutLeak κ: Float,
                             rates r: UnsafePointer<Float>, signal l: UnsafePointer<Float>, x: UnsafePointer<Float>,
                             hPrevious: UnsafePointer<Float>, into g: UnsafeMutablePointer<Float>, hidden h: Int, inputs i: Int) {
        let width = i + h + 1, keep = 1 - α
        for u in 0..<h {
            let row = p + u * width, slope = α * (1 - r[u] * r[u])
            for c in 0..<i { row[c] = keep * row[c] + slope * x[c] }
            let recurrent = row + i
            for v in 0..<h { recurrent[v] = keep * recurrent[v] + slope * hPrevious[v] }
            row[i + h] = keep * row[i + h] + slope
            let gradient = g + u * width, signal = l[u]
            if let filtered {
                let f = filtered + u * width
                for k in 0..<width {
                    f[k] = κ * f[k] + row[k]
                    gradient[k] += signal * f[k]
                }
            } else {
                for k in 0..<width { gradient[k] += signal * row[k] }
            }
        }
    }

    /// Leaky units through a plain readout, a window at once — the same sums as the step-by-step
    /// traces (tested against them), in matrix products. With γ = 1 − α, `cₜ = α(1 − rₜ²)` and
    /// `zₜ = [xₜ, hₜ₋₁, 1]`, the traces after step t of the window are `γᵗP₀ + Σ_{τ≤t} γ^{t−τ} cτ ⊗ zτ`,
    /// so `Σₜ Lₜ ⊙ Pₜ = (γΛ₁) ⊙ P₀ + Σ_τ (cτ ⊙ Λτ) zτᵀ` with `Λτ = Lτ + γΛτ₊₁` — a product over the
    /// streams per step — and the traces carried on are `γᵏP₀ + Σ_τ γ^{k−τ} cτ ⊗ zτ`, one product
    /// per stream. The weights are fixed through the window, so this is what the online traces
    /// compute, step for step; it only orders the sums differently.
    private mutating func accumulateWindow(_ window: RecurrentWindow, leak α: Float, readout: Matrix, into gradients: inout [Matrix],
                                           backend: LinearAlgebraBackend) {
        let (k, h, i, streams) = (window.steps, hidden, inputs, window.streams)
        let width = i + h + 1, γ = 1 - α, scale = 1 / Float(streams)
        // The traces' products below take raw pointers into `slopes` and `presynaptic`.
        precondition(streams == traces.count, "a window of \(streams) streams for traces of \(traces.count)")
        if signals.count != k + 1 || slopes.rows != streams * k {
            signals = (0...k).map { _ in Matrix(rows: streams, columns: h) }
            slopes = Matrix(rows: streams * k, columns: h)
            presynaptic = Matrix(rows: streams * k, columns: width)
            stepWeights = Array(repeating: 0, count: k)
        }
        for τ in 1...k { stepWeights[τ - 1] = α * Float(pow(Double(γ), Double(k - τ))) }
        for t in 1...k { backend.gemm(window.errors[t], .none, readout, .none, into: &signals[t]) }
        // Λτ from the window's end back, and the products Σ_τ (cτ ⊙ Λτ) zτᵀ over the streams.
        running.fill(0)
        for τ in stride(from: k, through: 1, by: -1) {
            let (rate, learning, count) = (window.rates[τ], signals[τ], running.count)
            running.storage.withUnsafeMutableBufferPointer { λ in
                learning.storage.withUnsafeBufferPointer { l in
                    for n in 0..<count { λ[n] = l[n] + γ * λ[n] }
                }
            }
            // The product's post factor, cτ ⊙ Λτ, in this step's signal buffer (its signal is in Λ now).
            let lambda = running
            signals[τ].storage.withUnsafeMutableBufferPointer { d in
                lambda.storage.withUnsafeBufferPointer { λ in
                    rate.storage.withUnsafeBufferPointer { r in
                        for n in 0..<count { d[n] = α * (1 - r[n] * r[n]) * λ[n] }
                    }
                }
            }
            let beta: Float = τ == k ? 0 : 1
            LocalUpdate.hebbianProduct(post: signals[τ], pre: window.inputs[τ], into: &gradients[0], alpha: scale, beta: beta, backend: backend)
            LocalUpdate.hebbianProduct(post: signals[τ], pre: window.states[τ - 1], into: &gradients[1], alpha: scale, beta: beta,
                                       backend: backend)
            LocalUpdate.biasChange(post: signals[τ], into: &gradients[2], scale: scale, accumulate: τ != k)
        }
        // The traces carried in, met by γΛ₁ (into `sum`); then carried on, one product per stream.
        let decay = Float(pow(Double(γ), Double(k)))
        sum.fill(0)
        fillSlopesAndPresynaptic(window)
        for s in 0..<streams {
            addCarriedIn(stream: s, weights: running, factor: γ)
            slopes.storage.withUnsafeBufferPointer { c in
                presynaptic.storage.withUnsafeBufferPointer { z in
                    traces[s].storage.withUnsafeMutableBufferPointer { p in
                        backend.gemm(transA: .transposed, transB: .none, m: h, n: width, k: k, alpha: 1,
                                     a: c.baseAddress! + s * k * h, lda: h, b: z.baseAddress! + s * k * width, ldb: width,
                                     beta: decay, c: p.baseAddress!, ldc: width)
                    }
                }
            }
        }
        addSum(scale: scale, into: &gradients)
    }

    /// `sum[u] += factor · λ[s, u] · P₀[u]` for stream s's carried-in traces. Pointers and wrapping
    /// index arithmetic, so that the rows vectorize.
    private mutating func addCarriedIn(stream s: Int, weights lambda: Matrix, factor: Float) {
        let width = inputs &+ hidden &+ 1, h = hidden
        traces[s].storage.withUnsafeBufferPointer { p in
            lambda.storage.withUnsafeBufferPointer { λ in
                sum.storage.withUnsafeMutableBufferPointer { g in
                    for u in 0..<h {
                        let weight = factor * λ[s &* h &+ u]
                        guard weight != 0 else { continue }
                        let (source, target) = (p.baseAddress! + u &* width, g.baseAddress! + u &* width)
                        for n in 0..<width { target[n] += weight * source[n] }
                    }
                }
            }
        }
    }

    /// `∇ += scale · sum`, the trace's columns `[x, h₋₁, 1]` split into the gradients of `W_in`,
    /// `W_rec` and `b`.
    private func addSum(scale: Float, into gradients: inout [Matrix]) {
        let (h, i) = (hidden, inputs)
        let width = i &+ h &+ 1
        sum.storage.withUnsafeBufferPointer { g in
            gradients[0].storage.withUnsafeMutableBufferPointer { input in
                for u in 0..<h {
                    let (source, target) = (g.baseAddress! + u &* width, input.baseAddress! + u &* i)
                    for c in 0..<i { target[c] += scale * source[c] }
                }
            }
            gradients[1].storage.withUnsafeMutableBufferPointer { recurrent in
                for u in 0..<h {
                    let (source, target) = (g.baseAddress! + (u &* width &+ i), recurrent.baseAddress! + u &* h)
                    for v in 0..<h { target[v] += scale * source[v] }
                }
            }
            gradients[2].storage.withUnsafeMutableBufferPointer { bias in
                for u in 0..<h { bias[u] += scale * g[u &* width &+ i &+ h] }
            }
        }
    }

    /// Every stream's scaled slopes `α γ^{k−τ} (1 − r_τ²)` into `slopes` and presynaptic rows
    /// `[x_τ, h_{τ−1}, 1]` into `presynaptic` (row `s·k + τ − 1`): the factors of the traces each
    /// stream carries on. Step by step, so that each step's matrices are opened once.
    private mutating func fillSlopesAndPresynaptic(_ window: RecurrentWindow) {
        let (h, i, k, streams) = (hidden, inputs, window.steps, window.streams)
        let width = i &+ h &+ 1
        stepWeights.withUnsafeBufferPointer { stepWeights in
            slopes.storage.withUnsafeMutableBufferPointer { slopeBuffer in
                presynaptic.storage.withUnsafeMutableBufferPointer { presynapticBuffer in
                    for τ in 1...k {
                        let weight = stepWeights[τ &- 1]
                        window.rates[τ].storage.withUnsafeBufferPointer { rates in
                            window.inputs[τ].storage.withUnsafeBufferPointer { x in
                                window.states[τ &- 1].storage.withUnsafeBufferPointer { before in
                                    for s in 0..<streams {
                                        let row = s &* k &+ (τ &- 1)
                                        let (c, z, r) = (slopeBuffer.baseAddress! + row &* h, presynapticBuffer.baseAddress! + row &* width,
                                                         rates.baseAddress! + s &* h)
                                        for u in 0..<h { c[u] = weight * (1 - r[u] * r[u]) }
                                        z.update(from: x.baseAddress! + s &* i, count: i)
                                        (z + i).update(from: before.baseAddress! + s &* h, count: h)
                                        z[i &+ h] = 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Vanilla units through a plain readout keep no memory (`Pₜ = (1 − hₜ²)[xₜ, hₜ₋₁, 1]`), so
    /// the sum over streams of `Lₜ ⊙ Pₜ` is a Hebbian product of `δₜ = Lₜ ⊙ (1 − hₜ²)` with the
    /// presynaptic activity: two GEMMs per step, BPTT's gradient without its pass back in time.
    private mutating func accumulateMemoryless(_ window: RecurrentWindow, readout: Matrix, into gradients: inout [Matrix],
                                               backend: LinearAlgebraBackend) {
        let scale = 1 / Float(window.streams)
        gradients[2].fill(0)
        for t in 1...window.steps {
            backend.gemm(window.errors[t], .none, readout, .none, into: &signal)
            let (count, state) = (signal.count, window.states[t])
            signal.storage.withUnsafeMutableBufferPointer { l in
                state.storage.withUnsafeBufferPointer { r in
                    for k in 0..<count { l[k] *= 1 - r[k] * r[k] }
                }
            }
            let beta: Float = t == 1 ? 0 : 1
            LocalUpdate.hebbianProduct(post: signal, pre: window.inputs[t], into: &gradients[0], alpha: scale, beta: beta, backend: backend)
            LocalUpdate.hebbianProduct(post: signal, pre: window.states[t - 1], into: &gradients[1], alpha: scale, beta: beta, backend: backend)
            LocalUpdate.biasChange(post: signal, into: &gradients[2], scale: scale, accumulate: true)
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
