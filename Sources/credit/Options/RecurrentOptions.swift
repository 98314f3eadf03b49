import ArgumentParser
import CreditKit

/// The flags of a recurrent run (`credit train-rnn`): a vanilla tanh RNN with a linear readout on
/// delayed XOR, trained by truncated BPTT or any rule that works through time.
struct RecurrentOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden units of the RNN.", valueName: "units"))
    var hidden: Int = 50

    @Option(name: .customLong("bptt-steps"), parsing: .unconditional, help: ArgumentHelp("The window k of truncated BPTT (and of every rule through time).", valueName: "k"))
    var bpttSteps: Int = 7

    @Option(parsing: .unconditional, help: ArgumentHelp("Delayed XOR: steps from a go cue to its XOR answer.", valueName: "steps"))
    var delay: Int = 3

    @Option(name: .customLong("steps-per-epoch"), parsing: .unconditional, help: ArgumentHelp("Time steps of every stream per epoch.", valueName: "N"))
    var stepsPerEpoch: Int = 50_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Parallel streams (the batch).", valueName: "N"))
    var streams: Int = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("Leaky units: hₜ = (1 − α)hₜ₋₁ + α tanh(aₜ), time constant 1/α (default 1: vanilla).",
                                                        valueName: "alpha"))
    var leak: Float?

    @OptionGroup var ruleChoice: RuleOptions

    @OptionGroup var training: OptimizerOptions

    static var ruleOptionsHelp: String {
        "An RNN takes the rules that work through time: bp (truncated BPTT), fa, np (by sgd), matching, kp, wm, and e-prop "
            + "(eprop: learning signal W_outᵀeₜ; eprop-random: a fixed random B; eligibility traces, nothing sent back in time, "
            + "the weights updated every --bptt-steps steps), and rtrl (the exact online gradient, carried forward in time: O(n⁴) "
            + "work per step, small nets only, at most 128 units), and rflo (random e-prop under Murray's name; with --leak its "
            + "traces are low-pass filtered); "
            + "their feedback is drawn like the forward weights (xavier, every rule's default) unless --feedback says otherwise.\n\n"
            + RuleRegistry.optionsHelp(for: [GeneralFeedbackSettings.self, NodePerturbationSettings.self, MatchingSettings.self,
                                              KolenPollackSettings.self, WeightMirrorSettings.self],
                                       excluding: ["--aux-errors", "--ridge", "--feedback-solver", "--feedback-warmup"])
    }

    func validate() throws {
        // The model alone; the command checks the rule with its options (`train-rnn` one, `compare-rnn` several).
        _ = try configuration(epochs: 1, rule: .backprop, given: [])
    }

    /// The recurrent run these flags describe.
    func configuration(epochs: Int) throws -> RecurrentConfiguration {
        let (rule, given) = try ruleChoice.configured()
        return try configuration(epochs: epochs, rule: rule, given: given)
    }

    /// The recurrent run these flags describe, trained by `rule` whose options `given` were set.
    func configuration(epochs: Int, rule: RuleSpec, given: Set<String>) throws -> RecurrentConfiguration {
        // Node perturbation through time learns B by SGD from the start: its other options would be ignored.
        if rule.settings(as: NodePerturbationSettings.self) != nil,
           let unused = given.intersection(["ridge", "feedback-solver", "feedback-warmup"]).sorted().first {
            throw ValidationError("--\(unused): not used by an RNN (node perturbation through time learns B by sgd from the start)")
        }
        var configuration = RecurrentConfiguration()
        configuration.hidden = hidden
        configuration.bpttSteps = bpttSteps
        configuration.streams = streams
        configuration.stepsPerEpoch = stepsPerEpoch
        configuration.epochs = epochs
        configuration.learningRate = training.learningRate ?? 0.01
        configuration.optimizer = training.optimizer ?? .sgd
        try training.checkMomentum(optimizer: configuration.optimizer)
        configuration.momentum = training.momentum
        configuration.learningRateDecay = training.learningRateDecay
        configuration.probeEvery = training.probeEvery
        configuration.rule = rule
        configuration.task = DelayedXOR(delay: delay)
        configuration.leak = leak
        configuration.seed = training.seed
        // Validated once, by the library, when the run starts (`RecurrentConfiguration.validated()`).
        return configuration
    }
}
