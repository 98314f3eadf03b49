import ArgumentParser
import CreditKit

/// The flags of a recurrent run (`credit train-rnn`): a vanilla tanh RNN with a linear readout on
/// delayed XOR, trained by truncated BPTT, FA or NP through time.
struct RecurrentOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hidden units of the RNN.", valueName: "units"))
    var hidden: Int = 50

    @Option(name: .customLong("bptt-steps"), help: ArgumentHelp("The window k of truncated BPTT (and of FA/NP through time).", valueName: "k"))
    var bpttSteps: Int = 7

    @Option(help: ArgumentHelp("Delayed XOR: steps from a go cue to its XOR answer.", valueName: "steps"))
    var delay: Int = 3

    @Option(name: .customLong("steps-per-epoch"), help: ArgumentHelp("Time steps of every stream per epoch.", valueName: "N"))
    var stepsPerEpoch: Int = 50_000

    @Option(help: ArgumentHelp("Parallel streams (the batch).", valueName: "N"))
    var streams: Int = 20

    @Option(help: ArgumentHelp("How credit travels back through time: bp (truncated BPTT), fa or np. Their options are listed below.",
                               valueName: "rule"))
    var rule: RuleSpec = .backprop

    /// The rule's own options (`--noise 0.01`): what the other flags do not claim.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var ruleOptions: [String] = []

    @Option(name: .customLong("lr"), help: "Learning rate.")
    var learningRate: Float = 0.01

    @Option(help: "The optimizer.")
    var optimizer: OptimizerKind = .sgd

    @Option(help: "Momentum coefficient μ (with --optimizer momentum).")
    var momentum: Float = 0.9

    @Option(help: "Random seed: weights, feedback, data.")
    var seed: UInt64 = 1

    /// The options each recurrent rule reads: FA keeps its `--feedback` draw, NP through time
    /// learns B by SGD from it.
    static let ruleOptionsUsed: Set<String> = ["feedback", "noise", "feedback-lr", "noise-probability"]

    static var ruleOptionsHelp: String {
        """
        Options of --rule fa and np:
          --feedback <family>: How the feedback matrices are drawn (default xavier): \(FeedbackFamily.helpText).
          --noise <c>: np: the noise level c_h added to every hidden activity (default 0.01).
          --feedback-lr <eta>: np: the SGD step size of the feedback weights (default 0.01).
          --noise-probability <p>: np: the chance each unit is perturbed on a pass (default 1; the authors' RNN used 0.1).
        """
    }

    func validate() throws {
        _ = try configuration(epochs: 1)
    }

    /// The recurrent run these flags describe.
    func configuration(epochs: Int) throws -> RecurrentConfiguration {
        var rule = rule
        let given: Set<String>
        do { given = try rule.applyOptions(ruleOptions) } catch { throw ValidationError(error.description) }
        if let unused = given.subtracting(Self.ruleOptionsUsed).sorted().first {
            throw ValidationError("--\(unused): not used by an RNN (a tanh RNN with a linear readout; NP through time learns B by sgd)")
        }
        var configuration = RecurrentConfiguration()
        configuration.hidden = hidden
        configuration.bpttSteps = bpttSteps
        configuration.streams = streams
        configuration.stepsPerEpoch = stepsPerEpoch
        configuration.epochs = epochs
        configuration.learningRate = learningRate
        configuration.optimizer = optimizer
        configuration.momentum = momentum
        // The RNN's feedback is drawn like its forward weights unless --feedback says otherwise.
        if !given.contains("feedback") {
            if var settings = rule.settings(as: GeneralFeedbackSettings.self) {
                settings.feedback = .xavier
                rule = RuleSpec(settings)
            } else if var settings = rule.settings(as: NodePerturbationSettings.self) {
                settings.feedback = .xavier
                rule = RuleSpec(settings)
            }
        }
        configuration.rule = rule
        configuration.task = DelayedXOR(delay: delay)
        configuration.seed = seed
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return configuration
    }
}
