/// Everything that defines a recurrent run (`credit train-rnn`); saved as the run's `config.json`.
public struct RecurrentConfiguration: RunConfiguration {
    /// Hidden units.
    public var hidden: Int = 50
    /// `k`: the window of truncated BPTT (and of every rule through time).
    public var bpttSteps: Int = 7
    /// Parallel streams, the batch.
    public var streams: Int = 20
    /// Steps of every stream per epoch.
    public var stepsPerEpoch: Int = 50_000
    /// Passes of `stepsPerEpoch` fresh steps.
    public var epochs: Int = 10
    /// The first epoch's step size.
    public var learningRate: Float = 0.01
    /// The learning rate is multiplied by this after every epoch (1 = constant).
    public var learningRateDecay: Float = 1
    /// The shared optimizer (plain SGD is the paper's choice for the RNN).
    public var optimizer: OptimizerKind = .sgd
    /// μ for `optimizer == .momentum`.
    public var momentum: Float = 0.9
    /// The rule with its own settings: bp (truncated BPTT), fa, np, matching, kp or wm.
    public var rule: RuleSpec = .backprop
    /// The task every stream runs.
    public var task: RecurrentTask = .delayedXOR(DelayedXOR())
    /// The seed of every random draw: weights, feedback, streams, noise.
    public var seed: UInt64 = 1
    /// Diagnostics on the probe streams every this many windows; 0 = at the end of each epoch only.
    public var probeEvery: Int = 0
    /// `α`, the leak of leaky units (`hₜ = (1 − α)hₜ₋₁ + α tanh(aₜ)`, time constant 1/α); `nil`:
    /// vanilla units (α = 1).
    public var leak: Float?
    /// `κ`, the leak of a leaky readout (`ŷₜ = κŷₜ₋₁ + W_out hₜ + b_out`, Bellec et al.'s output
    /// filter); `nil`: the plain readout (κ = 0).
    public var readoutLeak: Float?
    /// `g`, the gain of the initial recurrent weights, `W_rec ~ N(0, g²/H)` (`nil`: 1; Murray's
    /// notebook: 1.5).
    public var recurrentGain: Float?
    /// `a`: the initial readout weights are `U(−a/√H, a/√H)` (Murray's notebook: 0.1); `nil`:
    /// Xavier-uniform.
    public var readoutScale: Float?
    /// Parameters held at their initial values (`W_in`, `W_rec`, `b`, `W_out`, `b_out`): Murray's
    /// periodic task freezes `W_in`.
    public var frozen: [String]?

    /// The parameters' names, in the order of the optimizer's slots.
    public static let parameterNames = ["W_in", "W_rec", "b", "W_out", "b_out"]

    /// The defaults: a 50-unit RNN on delayed XOR (delay 3) by truncated BPTT over 7 steps.
    public init() {}

    public var learningRateSchedule: LearningRateSchedule {
        LearningRateSchedule(initial: learningRate, decayPerEpoch: learningRateDecay)
    }

    /// Checks every value. Errors name the field.
    public func validate() throws(ConfigurationError) {
        guard bpttSteps > 0 else { throw .invalid(field: "bpttSteps", value: "\(bpttSteps)", expected: "a positive number of steps") }
        guard hidden > 0 else { throw .invalid(field: "hidden", value: "\(hidden)", expected: "a positive number of hidden units") }
        guard streams > 0 else { throw .invalid(field: "streams", value: "\(streams)", expected: "a positive number of streams") }
        guard epochs > 0 else { throw .invalid(field: "epochs", value: "\(epochs)", expected: "a positive number of epochs") }
        guard stepsPerEpoch >= bpttSteps else {
            throw .invalid(field: "stepsPerEpoch", value: "\(stepsPerEpoch)", expected: "at least one window of \(bpttSteps) steps")
        }
        try task.task.validate()
        if let trial = task.task.trialLength {
            // A window never straddles two trials, so a fresh trial is a fresh window's state.
            guard trial % bpttSteps == 0 else {
                throw .invalid(field: "bpttSteps", value: "\(bpttSteps)", expected: "a divisor of the \(task.name) task's trial of \(trial) steps")
            }
            guard stepsPerEpoch % trial == 0 else {
                throw .invalid(field: "stepsPerEpoch", value: "\(stepsPerEpoch)", expected: "a multiple of the \(task.name) task's trial of \(trial) steps")
            }
        }
        if let readoutLeak {
            guard readoutLeak >= 0, readoutLeak < 1 else {
                throw .invalid(field: "readoutLeak", value: "\(readoutLeak)", expected: "a readout leak κ in [0, 1)")
            }
        }
        if let recurrentGain {
            guard recurrentGain >= 0, recurrentGain.isFinite else {
                throw .invalid(field: "recurrentGain", value: "\(recurrentGain)", expected: "a finite gain ≥ 0")
            }
        }
        if let readoutScale {
            guard readoutScale >= 0, readoutScale.isFinite else {
                throw .invalid(field: "readoutScale", value: "\(readoutScale)", expected: "a finite scale ≥ 0")
            }
        }
        for name in frozen ?? [] where !Self.parameterNames.contains(name) {
            throw .invalid(field: "frozen", value: name, expected: "parameter names among \(Self.parameterNames.joined(separator: ", "))")
        }
        guard learningRate > 0, learningRate.isFinite else {
            throw .invalid(field: "learningRate", value: "\(learningRate)", expected: "a positive, finite learning rate")
        }
        guard learningRateDecay > 0, learningRateDecay <= 1 else {
            throw .invalid(field: "learningRateDecay", value: "\(learningRateDecay)", expected: "a per-epoch factor in (0, 1]")
        }
        guard momentum >= 0, momentum < 1 else {
            throw .invalid(field: "momentum", value: "\(momentum)", expected: "a momentum in [0, 1)")
        }
        guard probeEvery >= 0 else {
            throw .invalid(field: "probeEvery", value: String(probeEvery), expected: "a number of windows ≥ 0 (0: once per epoch)")
        }
        try MemoryBudget.check(floats: memoryFloats, field: "hidden", value: "\(hidden)",
                               what: "an RNN of \(hidden) units, \(streams) streams × \(stepsPerEpoch) steps per epoch")
        var random = RandomSource(seed: 0)
        let probe = RecurrentNetwork(inputs: 1, hidden: 1, outputs: 1, random: &random)
        if let leak { guard leak > 0, leak <= 1 else { throw .invalid(field: "leak", value: "\(leak)", expected: "a leak α in (0, 1]") } }
        switch try RecurrentTransport.make(rule: rule, network: probe, random: &random).0 {
        case .nodePerturbation(let settings):
            try settings.validate()
            if let leak, leak < 1 {
                throw .invalid(field: "leak", value: "\(leak)", expected: "vanilla units (α = 1) for node perturbation through time")
            }
            if let readoutLeak, readoutLeak > 0 {
                throw .invalid(field: "readoutLeak", value: "\(readoutLeak)", expected: "the plain readout (κ = 0) for node perturbation through time")
            }
        case .realTime:
            // O(H⁴) work per step and stream: a reference for small nets.
            if let readoutLeak, readoutLeak > 0 {
                throw .invalid(field: "readoutLeak", value: "\(readoutLeak)", expected: "the plain readout (κ = 0) for RTRL")
            }
            guard hidden <= 128 else {
                throw .invalid(field: "hidden", value: "\(hidden)", expected: "at most 128 units for RTRL (O(n⁴) per step: small nets only)")
            }
            try MemoryBudget.check(floats: Double(RealTimeRecurrentLearning.memory(streams: streams, hidden: hidden, inputs: task.task.inputWidth) / 4),
                                   field: "hidden", value: "\(hidden)", what: "RTRL's sensitivities for \(hidden) units × \(streams) streams")
        default: break
        }
        try rule.settings.validate(RuleContext(hiddenLayers: [hidden], hiddenActivations: [.tanh], loss: task.task.loss))
    }
}
