import Foundation

/// The optimizers that apply a rule's update.
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    /// `θ ← θ − η g`.
    case sgd
    /// Classical momentum: `v ← μ v − η g`, `θ ← θ + v`.
    case momentum
    /// Adam (Kingma & Ba 2015): `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
    /// `θ ← θ − η √(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)`.
    case adam
}

/// An optimizer's fixed settings. The learning rate is not among them: a
/// ``LearningRateSchedule`` sets ``Optimizer/learningRate`` for every epoch.
public struct OptimizerSettings: Sendable, Codable, Equatable {
    /// SGD, momentum or Adam.
    public var kind: OptimizerKind
    /// μ of classical momentum.
    public var momentum: Float = 0.9
    /// Adam's β₁.
    public var beta1: Float = 0.9
    /// Adam's β₂.
    public var beta2: Float = 0.999
    /// Adam's ε.
    public var epsilon: Float = 1e-8

    /// Settings of `kind`; Adam keeps its usual β₁, β₂, ε.
    public init(kind: OptimizerKind, momentum: Float = 0.9) {
        self.kind = kind
        self.momentum = momentum
    }
}

/// An optimizer with its per-parameter state (velocities, moments), shared by every rule.
public struct Optimizer: Sendable, Equatable {
    /// The fixed settings.
    public var settings: OptimizerSettings
    /// The step size `η` of the current epoch; the trainer sets it from its ``LearningRateSchedule``.
    public var learningRate: Float
    /// Steps taken (Adam's bias correction counts them).
    public private(set) var step: Int = 0
    /// Per parameter tensor (weights and biases of each layer, in that order, so layer ℓ's are
    /// slots 2ℓ and 2ℓ+1): the first moment `m` (Adam), or for momentum the velocity already
    /// decayed for the next step, `μ·v` — what that step adds its gradient to. Keeping it decayed
    /// lets the local update write into it with `β = 1`, which spares BLAS a scaling pass over
    /// every weight matrix; the arithmetic is the same, rounding for rounding. Empty for SGD.
    public var firstMoments: [Matrix]
    /// Per parameter tensor: Adam's second moment `v`. Empty otherwise.
    public var secondMoments: [Matrix]

    /// An optimizer for every layer's weights and biases.
    public init(settings: OptimizerSettings, learningRate: Float, network: Network) {
        self.init(settings: settings, learningRate: learningRate, parameters: network.layers.flatMap { [$0.weights, $0.biases] })
    }

    /// An optimizer for the parameter tensors `parameters`, slot `k` for `parameters[k]`.
    public init(settings: OptimizerSettings, learningRate: Float, parameters: [Matrix]) {
        self.settings = settings
        self.learningRate = learningRate
        let zeros = parameters.map { Matrix(rows: $0.rows, columns: $0.columns) }
        firstMoments = settings.kind == .sgd ? [] : zeros
        secondMoments = settings.kind == .adam ? zeros : []
    }

    /// Applies one step to every layer of `network`, from the weight changes ``LocalUpdate``
    /// forms out of the rule's credits in `workspace`.
    ///
    /// For SGD and momentum the local update writes straight into its destination — the weights
    /// (`α = −η/batch`, `β = 1`) or the decayed velocity (`α = −η/batch`, `β = 1`), which one
    /// fused pass then adds to the weights and decays for the next step — so the step makes
    /// fewer passes over the weights than forming `∇W` first; Adam needs `∇W` itself.
    public mutating func step(_ network: inout Network, rule: any LearningRule, workspace: inout Workspace,
                              backend: LinearAlgebraBackend) {
        step += 1
        let scale = -learningRate / Float(workspace.batchSize)
        let mean = 1 / Float(workspace.batchSize)
        for ℓ in network.layers.indices {
            let (credit, presynaptic) = (workspace.credits[ℓ], workspace.activity(below: ℓ))   // (batch, outputs), (batch, inputs)
            switch settings.kind {
            case .sgd:
                LocalUpdate.formWeightChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                             into: &network.layers[ℓ].weights, alpha: scale, beta: 1, backend: backend)
                LocalUpdate.formBiasChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                           into: &workspace.biasGradients[ℓ], scale: scale)
                network.layers[ℓ].biases.add(workspace.biasGradients[ℓ])
            case .momentum:
                LocalUpdate.formWeightChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                             into: &firstMoments[2 * ℓ], alpha: scale, beta: 1, backend: backend)
                Self.addVelocityAndDecay(&network.layers[ℓ].weights, velocity: &firstMoments[2 * ℓ], momentum: settings.momentum)
                LocalUpdate.formBiasChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                           into: &workspace.biasGradients[ℓ], scale: mean)
                update(&network.layers[ℓ].biases, gradient: workspace.biasGradients[ℓ], slot: 2 * ℓ + 1, counted: false)
            case .adam:
                LocalUpdate.formWeightChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                             into: &workspace.weightGradients[ℓ], alpha: mean, beta: 0, backend: backend)
                LocalUpdate.formBiasChange(layer: ℓ, rule: rule, credit: credit, presynaptic: presynaptic,
                                           into: &workspace.biasGradients[ℓ], scale: mean)
                update(&network.layers[ℓ].weights, gradient: workspace.weightGradients[ℓ], slot: 2 * ℓ, counted: false)
                update(&network.layers[ℓ].biases, gradient: workspace.biasGradients[ℓ], slot: 2 * ℓ + 1, counted: false)
            }
        }
    }

    /// One parameter tensor from its gradient, a single fused pass over memory. `counted: true`
    /// advances the step counter (Adam's bias correction); a whole-network step counts once.
    public mutating func update(_ parameter: inout Matrix, gradient: Matrix, slot: Int, counted: Bool = true) {
        if counted { step += 1 }
        precondition(parameter.count == gradient.count)
        let count = parameter.count
        let eta = learningRate
        let s = settings
        switch s.kind {
        case .sgd:
            parameter.storage.withUnsafeMutableBufferPointer { p in
                gradient.storage.withUnsafeBufferPointer { g in
                    Self.forEachBlock(count) { i in
                        store8(load8(p.baseAddress! + i) - eta * load8(g.baseAddress! + i), p.baseAddress! + i)
                    } scalar: { i in p[i] -= eta * g[i] }
                }
            }
        case .momentum:
            let mu = s.momentum
            parameter.storage.withUnsafeMutableBufferPointer { p in
                gradient.storage.withUnsafeBufferPointer { g in
                    firstMoments[slot].storage.withUnsafeMutableBufferPointer { v in
                        // v holds μ·v_{t−1}: v_t = μ·v_{t−1} − η g, θ += v_t, then decay for step t+1.
                        let p = p.baseAddress!, g = g.baseAddress!, v = v.baseAddress!
                        Self.forEachBlock(count) { i in
                            let velocity = load8(v + i) - eta * load8(g + i)
                            store8(load8(p + i) + velocity, p + i)
                            store8(mu * velocity, v + i)
                        } scalar: { i in
                            let velocity = v[i] - eta * g[i]
                            p[i] += velocity
                            v[i] = mu * velocity
                        }
                    }
                }
            }
        case .adam:
            let (b1, b2, eps) = (s.beta1, s.beta2, s.epsilon)
            let t = Float(step)
            let stepSize = eta * (1 - Foundation.pow(b2, t)).squareRoot() / (1 - Foundation.pow(b1, t))
            parameter.storage.withUnsafeMutableBufferPointer { p in
                gradient.storage.withUnsafeBufferPointer { g in
                    firstMoments[slot].storage.withUnsafeMutableBufferPointer { m in
                        secondMoments[slot].storage.withUnsafeMutableBufferPointer { v in
                            let p = p.baseAddress!, g = g.baseAddress!, m = m.baseAddress!, v = v.baseAddress!
                            if VectorKernels.adam(p, gradient: g, m: m, v: v, count, b1: b1, c1: 1 - b1, b2: b2, c2: 1 - b2,
                                                  stepSize: stepSize, epsilon: eps) { return }
                            Self.forEachBlock(count) { i in
                                let gi = load8(g + i)
                                let mi = b1 * load8(m + i) + (1 - b1) * gi
                                let vi = b2 * load8(v + i) + (1 - b2) * gi * gi
                                store8(mi, m + i)
                                store8(vi, v + i)
                                store8(load8(p + i) - stepSize * mi / (vi.squareRoot() + eps), p + i)
                            } scalar: { i in
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                p[i] -= stepSize * m[i] / (v[i].squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `θ ← θ + v`, then `v ← μ·v`: applies a velocity the local update has just formed and decays
    /// it for the next step, in one pass (split across cores for large tensors).
    static func addVelocityAndDecay(_ parameter: inout Matrix, velocity: inout Matrix, momentum: Float) {
        precondition(parameter.count == velocity.count)
        let count = parameter.count
        parameter.storage.withUnsafeMutableBufferPointer { p in
            velocity.storage.withUnsafeMutableBufferPointer { v in
                var operands = (parameter: p.baseAddress!, velocity: v.baseAddress!, momentum: momentum)
                withUnsafePointer(to: &operands) { operands in
                    Parallel.forEachChunk(count, context: operands) { context, lower, upper in
                        typealias Operands = (parameter: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>, momentum: Float)
                        let (p, v, mu) = context.assumingMemoryBound(to: Operands.self).pointee
                        if VectorKernels.addVelocityAndDecay(p + lower, v + lower, momentum: mu, upper - lower) { return }
                        var i = lower
                        while i + 8 <= upper {
                            let velocity = load8(v + i)
                            store8(load8(p + i) + velocity, p + i)
                            store8(mu * velocity, v + i)
                            i += 8
                        }
                        while i < upper { p[i] += v[i]; v[i] *= mu; i += 1 }
                    }
                }
            }
        }
    }

    /// Momentum's buffers as this optimizer keeps them (decayed, `μ·v`) from buffers that hold the
    /// velocity itself (checkpoints written before the decayed form): `μ·v` is exactly what
    /// the step that wrote them would have stored.
    public mutating func decayVelocities() {
        guard settings.kind == .momentum else { return }
        for k in firstMoments.indices { firstMoments[k].scale(by: settings.momentum) }
    }

    /// Sets the step counter (when restoring a checkpoint).
    public mutating func restore(step: Int) { self.step = step }

    /// Counts one step before a series of ``update(_:gradient:slot:counted:)`` calls with
    /// `counted: false` (Adam's bias correction then sees the same step in each).
    public mutating func countStep() { step += 1 }

    @inline(__always)
    private static func forEachBlock(_ count: Int, vector: (Int) -> Void, scalar: (Int) -> Void) {
        var i = 0
        while i + 8 <= count { vector(i); i += 8 }
        while i < count { scalar(i); i += 1 }
    }
}
