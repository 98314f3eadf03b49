/// The settling of a layered network with symmetric connections (Scellier & Bengio 2017): the
/// forward weights `Wⁱ` couple layer i−1 and layer i both ways, the input is clamped, and every
/// other layer's state `sⁱ` (a `(batch, nᵢ)` matrix) relaxes on the energy
///
///     E(s) = ½ Σᵢ ‖sⁱ‖² − Σᵢ ρ(sⁱ)ᵀ Wⁱ ρ(sⁱ⁻¹) − Σᵢ bⁱᵀ ρ(sⁱ),    ρ(s) = clip(s, 0, 1),
///
/// plus `β C = (β/2)‖sᴸ − y‖²` while nudged. One step moves every layer at once,
/// `s ← clip(s − ε ∂F/∂s, 0, 1)`; inside the box ρ' = 1, so it is
/// `s ← clip((1 − ε) s + ε (Wⁱ ρ(sⁱ⁻¹) + bⁱ + (Wⁱ⁺¹)ᵀ ρ(sⁱ⁺¹)) − ε β [i = L] (sᴸ − y))`, two GEMMs
/// per layer (the first layer's input drive `W¹x + b¹` is the forward pass's, computed once).
/// With ε = 1 it is the discrete-time form of Laborieux et al. 2021, `s ← ρ(∂Φ/∂s)`.
/// The states are clipped into the box, so `ρ(s) = s` and the Hebbian products read the states.
struct Relaxation: Sendable {
    /// The drive of every layer for the step in progress.
    private var drive = LayerScratch()

    /// `steps` synchronous steps of size `ε` from `states`, nudged by `β` (0: the free phase), or
    /// with the output clamped to the target (`clampOutput`: contrastive Hebbian learning's
    /// plus phase). `workspace` holds the input's drive of the first layer (its pre-activation)
    /// and the target. No allocation once the buffers fit.
    mutating func relax(_ states: inout LayerScratch, steps: Int, stepSize ε: Float, beta β: Float, clampOutput: Bool,
                        network: Network, workspace: Workspace, backend: LinearAlgebraBackend) {
        drive.fit(workspace)
        let top = network.depth - 1
        if clampOutput { states[top].copyElements(from: workspace.target) }
        for _ in 0..<steps {
            computeDrive(states, network: network, workspace: workspace, backend: backend)
            for i in 0...top where !(clampOutput && i == top) {
                Self.step(&states[i], drive: drive[i], stepSize: ε, beta: i == top ? β : 0, target: workspace.target)
            }
        }
    }

    /// `drive[i] = Wⁱ sⁱ⁻¹ + bⁱ + (Wⁱ⁺¹)ᵀ sⁱ⁺¹` for every layer (rows are examples).
    private mutating func computeDrive(_ states: LayerScratch, network: Network, workspace: Workspace, backend: LinearAlgebraBackend) {
        let top = network.depth - 1
        for i in 0...top {
            if i == 0 {
                drive[0].copyElements(from: workspace.preActivations[0])
            } else {
                drive[i].fillRows(with: network.layers[i].biases)
                backend.gemm(states[i - 1], .none, network.layers[i].weights, .transposed, into: &drive[i], beta: 1)
            }
            if i < top { backend.gemm(states[i + 1], .none, network.layers[i + 1].weights, .none, into: &drive[i], beta: 1) }
        }
    }

    /// `s ← clip((1 − ε) s + ε drive − ε β (s − y), 0, 1)` over the rows in use (`β` only for the output).
    private static func step(_ state: inout Matrix, drive: Matrix, stepSize ε: Float, beta β: Float, target: Matrix) {
        let count = state.rows * state.columns
        state.storage.withUnsafeMutableBufferPointer { s in
            drive.storage.withUnsafeBufferPointer { d in
                if β == 0 {
                    for k in 0..<count { s[k] = min(max((1 - ε) * s[k] + ε * d[k], 0), 1) }
                } else {
                    target.storage.withUnsafeBufferPointer { y in
                        for k in 0..<count { s[k] = min(max((1 - ε) * s[k] + ε * d[k] - ε * β * (s[k] - y[k]), 0), 1) }
                    }
                }
            }
        }
    }

    /// How far `states` are from a fixed point of the free dynamics: the root mean square over
    /// units of `s − clip(drive)` — zero exactly at equilibrium, whatever ε. Per example.
    mutating func residual(_ states: LayerScratch, network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> Double {
        drive.fit(workspace)
        computeDrive(states, network: network, workspace: workspace, backend: backend)
        var sum = 0.0, units = 0
        for i in 0..<network.depth {
            let (s, d) = (states[i].elements, drive[i].elements)
            for k in s.indices {
                let gap = Double(s[k] - min(max(d[k], 0), 1))
                sum += gap * gap
            }
            units += s.count
        }
        return (sum / Double(max(units, 1))).squareRoot()
    }

    /// `E(s)` of every example (the free energy's β = 0 part), with the input clamped: in
    /// `½Σ‖sⁱ‖² − Σ sⁱ·(Wⁱ sⁱ⁻¹ + bⁱ)` each symmetric coupling is counted once, from below.
    /// Allocates; for tests and diagnostics.
    static func energy(_ states: LayerScratch, network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [Double] {
        let rows = states[0].rows
        var energy = [Double](repeating: 0, count: rows)
        for i in 0..<network.depth {
            var bottomUp = Matrix(rows: rows, columns: states[i].columns)
            if i == 0 {
                bottomUp.copyElements(from: workspace.preActivations[0])
            } else {
                bottomUp.fillRows(with: network.layers[i].biases)
                backend.gemm(states[i - 1], .none, network.layers[i].weights, .transposed, into: &bottomUp, beta: 1)
            }
            for r in 0..<rows {
                for j in 0..<states[i].columns {
                    let s = Double(states[i][r, j])
                    energy[r] += 0.5 * s * s - s * Double(bottomUp[r, j])
                }
            }
        }
        return energy
    }
}
