/// Equilibrium propagation (Scellier & Bengio 2017) and contrastive Hebbian learning: the
/// network settles (`Relaxation`) freely to `s⁰`, then again from `s⁰` with its output nudged
/// towards the target (EP, by `β`) or clamped to it (CHL), and every weight changes by the
/// difference of the two phases' Hebbian products:
///
///     EP:      ∇Wⁱ = −(ρ(sⁱ_β) ρ(sⁱ⁻¹_β)ᵀ − ρ(sⁱ₀) ρ(sⁱ⁻¹₀)ᵀ) / β
///     sym. EP: ∇Wⁱ = −(ρ(sⁱ₊β) ρ(sⁱ⁻¹₊β)ᵀ − ρ(sⁱ₋β) ρ(sⁱ⁻¹₋β)ᵀ) / 2β   (Laborieux et al. 2021)
///     CHL:     ∇Wⁱ = −(ρ(sⁱ₊) ρ(sⁱ⁻¹₊)ᵀ − ρ(sⁱ₋) ρ(sⁱ⁻¹₋)ᵀ)
///     GeneRec: ∇Wⁱ = −(ρ(sⁱ₊) − ρ(sⁱ₋)) ρ(sⁱ⁻¹₋)ᵀ
///
/// — not of the form δa·hᵀ: both factors change between the phases, so the rule gives its own
/// Hebbian terms (``forEachHebbianTerm(layer:credit:presynaptic:_:)``). As β → 0 the EP update
/// tends to the gradient of the cost at the free fixed point, `dC(s⁰(θ))/dθ`, with an error O(β)
/// one-sided and O(β²) symmetric. The network answers by its free phase
/// (``infer(network:workspace:backend:)``), not by the feed-forward pass. The credits it writes,
/// `δaⁱ = (sⁱ₀ − sⁱ_β)/β`, are the activity differences, for the diagnostics.
public struct EquilibriumPropagation: LearningRule {
    /// The settings it was made from.
    public let settings: SettlingSettings
    private var relaxation = Relaxation()
    /// The free phase `s⁰`, the nudged (or clamped) phase, and the opposite nudge's phase.
    private var free = LayerScratch(), nudged = LayerScratch(), opposite = LayerScratch()
    /// The β of the last batch (its sign drawn per batch when random).
    public private(set) var lastBeta: Float
    /// With persistent states: every training example's last free state, its layers side by side.
    private var particles: Matrix

    /// The rule these settings describe (for `network`, whose widths the persistent states take).
    public init(settings: SettlingSettings, network: Network? = nil) {
        self.settings = settings
        lastBeta = settings.beta
        let width = network?.layers.reduce(0) { $0 + $1.outputs } ?? 0
        particles = Matrix(rows: settings.persistentStates ? settings.trainingExamples ?? 0 : 0, columns: width)
    }

    public var name: String { settings.description }

    public mutating func assignCredit(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend,
                                      random: inout RandomSource) {
        settleFreely(network: network, workspace: workspace, backend: backend, persistent: particles.rows > 0)
        nudged.fit(workspace)
        let top = network.depth - 1
        for i in 0...top { nudged[i].copyElements(from: free[i]) }
        switch settings.contrast {
        case .equilibriumPropagation:
            var β = settings.beta
            if settings.betaSign == .random && random.next() & 1 == 1 { β = -β }
            lastBeta = β
            relaxation.relax(&nudged, steps: settings.nudgedSteps, stepSize: settings.stepSize, beta: β, clampOutput: false,
                             network: network, workspace: workspace, backend: backend)
            if settings.nudgeMode == .symmetric {
                opposite.fit(workspace)
                for i in 0...top { opposite[i].copyElements(from: free[i]) }
                relaxation.relax(&opposite, steps: settings.nudgedSteps, stepSize: settings.stepSize, beta: -β, clampOutput: false,
                                 network: network, workspace: workspace, backend: backend)
                for i in 0...top { workspace.credits[i].setDifference(opposite[i], nudged[i], scaledBy: 1 / (2 * β)) }
            } else {
                for i in 0...top { workspace.credits[i].setDifference(free[i], nudged[i], scaledBy: 1 / β) }
            }
        case .contrastiveHebbian, .geneRec:
            relaxation.relax(&nudged, steps: settings.nudgedSteps, stepSize: settings.stepSize, beta: 0, clampOutput: true,
                             network: network, workspace: workspace, backend: backend)
            for i in 0...top { workspace.credits[i].setDifference(free[i], nudged[i]) }
        }
        // The network's answer is its free phase: the batch's errors are counted from it. (The
        // Hebbian terms read the phases' own states; nothing else reads these activities.)
        for i in 0...top { workspace.activities[i].copyElements(from: free[i]) }
    }

    /// The free phase into `free`: from zero states, or (`persistent`) from each training
    /// example's last free state, which it then replaces.
    private mutating func settleFreely(network: Network, workspace: Workspace, backend: LinearAlgebraBackend, persistent: Bool = false) {
        free.fit(workspace)
        for i in 0..<network.depth { free[i].fill(0) }
        if persistent { exchangeParticles(workspace, load: true) }
        relaxation.relax(&free, steps: settings.freeSteps, stepSize: settings.stepSize, beta: 0, clampOutput: false,
                         network: network, workspace: workspace, backend: backend)
        if persistent { exchangeParticles(workspace, load: false) }
    }

    /// Copies the batch's particles into the free states (`load`), or the free states back.
    /// Rows whose example is unknown (−1) start from zero and are not kept.
    private mutating func exchangeParticles(_ workspace: Workspace, load: Bool) {
        let width = particles.columns
        for r in 0..<workspace.batchSize {
            let index = workspace.examples[r]
            guard index >= 0, index < particles.rows else { continue }
            var offset = index * width
            for i in 0..<free.all.count {
                let columns = free[i].columns
                for j in 0..<columns {
                    if load { free[i][r, j] = particles.storage[offset + j] } else { particles.storage[offset + j] = free[i][r, j] }
                }
                offset += columns
            }
        }
    }

    public func forEachHebbianTerm(layer ℓ: Int, credit: Matrix, presynaptic: Matrix,
                                   _ body: (_ post: Matrix, _ pre: Matrix, _ sign: Float) -> Void) {
        let rate = settings.layerRate(ℓ)
        // Below the first layer is the clamped input, the same in every phase.
        func below(_ states: LayerScratch) -> Matrix { ℓ == 0 ? presynaptic : states[ℓ - 1] }
        switch settings.contrast {
        case .equilibriumPropagation where settings.nudgeMode == .symmetric:
            body(nudged[ℓ], below(nudged), -rate / (2 * lastBeta))
            body(opposite[ℓ], below(opposite), rate / (2 * lastBeta))
        case .equilibriumPropagation:
            body(nudged[ℓ], below(nudged), -rate / lastBeta)
            body(free[ℓ], below(free), rate / lastBeta)
        case .contrastiveHebbian:
            body(nudged[ℓ], below(nudged), -rate)
            body(free[ℓ], below(free), rate)
        case .geneRec:
            body(nudged[ℓ], below(free), -rate)
            body(free[ℓ], below(free), rate)
        }
    }

    /// The free phase's squared error `½‖sᴸ − y‖²`, summed over the batch (the settings require that loss).
    public func answerLoss(_ loss: Loss, workspace: Workspace) -> Double? {
        let output = free[free.all.count - 1]
        let count = output.rows * output.columns
        var sum = 0.0
        output.storage.withUnsafeBufferPointer { s in
            workspace.target.storage.withUnsafeBufferPointer { y in
                for k in 0..<count { sum += 0.5 * Double((s[k] - y[k]) * (s[k] - y[k])) }
            }
        }
        return sum
    }

    /// The answer is the free phase's output state; every layer's activity becomes its state.
    public mutating func infer(network: Network, workspace: inout Workspace, backend: LinearAlgebraBackend) {
        settleFreely(network: network, workspace: workspace, backend: backend)
        for i in 0..<network.depth { workspace.activities[i].copyElements(from: free[i]) }
    }

    /// On the probe batch: how far the free phase is from equilibrium after T₁ steps
    /// (`Relaxation/residual(_:network:workspace:backend:)`), and the angle of each layer's
    /// weight change to the true gradient of the cost at the free fixed point
    /// (`FixedPointGradient`), the reference EP approximates — backprop's, through the
    /// feed-forward pass, is another function's gradient.
    public func probeColumns(network: Network, workspace: Workspace, backend: LinearAlgebraBackend) -> [GradientDiagnostics.RuleColumn] {
        var copy = self, probe = workspace
        var random = RandomSource(seed: 0)
        copy.assignCredit(network: network, workspace: &probe, backend: backend, random: &random)
        var relaxation = Relaxation()
        var columns = [GradientDiagnostics.RuleColumn("free_phase_residual",
                                                      relaxation.residual(copy.free, network: network, workspace: probe, backend: backend))]
        LocalUpdate.computeGradients(&probe, rule: copy, backend: backend)
        let reference = FixedPointGradient.weightGradients(states: copy.free, network: network, workspace: probe, backend: backend)
        for ℓ in reference.indices {
            // An angle ignores the layer rates, which scale a layer's change as a whole.
            columns.append(.init("angle_dW\(ℓ + 1)_vs_fixed_point", Alignment.angle(probe.weightGradients[ℓ], reference[ℓ])))
        }
        return columns
    }

    /// The free phase's states of the last batch (for tests and diagnostics).
    var freeStates: LayerScratch { free }

    /// The persistent states, when kept (`particles`: one row per training example).
    public var state: [NamedTensor] {
        get { particles.rows > 0 ? [NamedTensor("particles", particles)] : [] }
        set { if let kept = newValue[named: "particles"] { particles = kept } }
    }
}
