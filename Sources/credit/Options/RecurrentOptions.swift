import ArgumentParser
import CreditKit

/// The flags of a recurrent run (`credit train-rnn`): a tanh RNN with a linear or softmax readout
/// on one task of the suite, trained by truncated BPTT or any rule that works through time.
struct RecurrentOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Hidden units of the RNN.", valueName: "units"))
    var hidden: Int = 50

    @Option(name: .customLong("bptt-steps"), parsing: .unconditional, help: ArgumentHelp("The window k of truncated BPTT (and of every rule through time).", valueName: "k"))
    var bpttSteps: Int = 7

    @Option(help: ArgumentHelp("The task: xor (delayed XOR), periodic (Murray's periodic output, no input, trials of --period steps), "
                               + "add (the add task, softmax readout), evidence (cue accumulation: 7 cues, a delay, a recall cue).",
                               valueName: "name"))
    var task: String = "xor"

    @Option(parsing: .unconditional, help: ArgumentHelp("Delayed XOR: steps from a go cue to its answer (default 3); evidence: steps "
                                                        + "from the last cue to the recall cue (default 20).", valueName: "steps"))
    var delay: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Periodic output: the period and trial length (default 100).", valueName: "steps"))
    var period: Int?

    @Option(help: ArgumentHelp("Add task: the two dependencies' lags (default 3,8).", valueName: "t1,t2"))
    var lags: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Evidence accumulation: cues per trial, odd (default 7).", valueName: "N"))
    var cues: Int?

    @Option(name: .customLong("update-every"), parsing: .unconditional,
            help: ArgumentHelp("Online rules (eprop, eprop-random, rflo, rtrl): update the weights every k steps; their traces "
                               + "carry on, nothing is sent back (the same as --bptt-steps for them).", valueName: "k"))
    var updateEvery: Int?

    @Option(name: .customLong("steps-per-epoch"), parsing: .unconditional, help: ArgumentHelp("Time steps of every stream per epoch.", valueName: "N"))
    var stepsPerEpoch: Int = 50_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Parallel streams (the batch).", valueName: "N"))
    var streams: Int = 20

    @Option(parsing: .unconditional, help: ArgumentHelp("Leaky units: hₜ = (1 − α)hₜ₋₁ + α tanh(aₜ), time constant 1/α (default 1: vanilla).",
                                                        valueName: "alpha"))
    var leak: Float?

    @Option(name: .customLong("readout-leak"), parsing: .unconditional,
            help: ArgumentHelp("A leaky readout: ŷₜ = κŷₜ₋₁ + W_out hₜ + b_out (default 0: the plain readout).", valueName: "kappa"))
    var readoutLeak: Float?

    @Option(name: .customLong("recurrent-gain"), parsing: .unconditional,
            help: ArgumentHelp("The initial recurrent weights' gain: W_rec ~ N(0, g²/H) (default 1; Murray's notebook 1.5).", valueName: "g"))
    var recurrentGain: Float?

    @Option(name: .customLong("readout-init"), parsing: .unconditional,
            help: ArgumentHelp("Initial readout weights U(−a/√H, a/√H) (default: Xavier-uniform; Murray's notebook 0.1).", valueName: "a"))
    var readoutInit: Float?

    @Option(help: ArgumentHelp("Parameters held at their initial values, comma-separated among W_in, W_rec, b, W_out, b_out.",
                               valueName: "names"))
    var freeze: String?

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
        _ = try configuration(epochs: 1, rule: nil, given: [])
    }

    /// The recurrent run these flags describe.
    func configuration(epochs: Int) throws -> RecurrentConfiguration {
        let (rule, given) = try ruleChoice.configured()
        return try configuration(epochs: epochs, rule: rule, given: given)
    }

    /// The recurrent run these flags describe, trained by `rule` whose options `given` were set
    /// (`nil`: backprop, the rule's own flags unchecked).
    func configuration(epochs: Int, rule: RuleSpec?, given: Set<String>) throws -> RecurrentConfiguration {
        // Node perturbation through time learns B by SGD from the start: its other options would be ignored.
        if rule?.settings(as: NodePerturbationSettings.self) != nil,
           let unused = given.intersection(["ridge", "feedback-solver", "feedback-warmup"]).sorted().first {
            throw ValidationError("--\(unused): not used by an RNN (node perturbation through time learns B by sgd from the start)")
        }
        var configuration = RecurrentConfiguration()
        configuration.hidden = hidden
        configuration.bpttSteps = try window(rule: rule)
        configuration.streams = streams
        configuration.stepsPerEpoch = stepsPerEpoch
        configuration.epochs = epochs
        configuration.learningRate = training.learningRate ?? 0.01
        configuration.optimizer = training.optimizer ?? .sgd
        try training.checkMomentum(optimizer: configuration.optimizer)
        configuration.momentum = training.momentum
        configuration.learningRateDecay = training.learningRateDecay
        configuration.probeEvery = training.probeEvery
        configuration.rule = rule ?? .backprop
        configuration.task = try recurrentTask()
        configuration.leak = leak
        configuration.readoutLeak = readoutLeak
        configuration.recurrentGain = recurrentGain
        configuration.readoutScale = readoutInit
        configuration.frozen = freeze.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        configuration.seed = training.seed
        // Validated once, by the library, when the run starts (`RecurrentConfiguration.validated()`).
        return configuration
    }

    /// The window: `--bptt-steps`, or for an online rule `--update-every` (the same number to it).
    private func window(rule: RuleSpec?) throws -> Int {
        guard let updateEvery else { return bpttSteps }
        guard let rule else { return updateEvery }
        let online = rule.settings(as: EligibilityPropagationSettings.self) != nil
            || rule.settings(as: RealTimeRecurrentLearningSettings.self) != nil
        guard online else {
            throw ValidationError("--update-every: for the rules that learn online (eprop, eprop-random, rflo, rtrl); "
                                  + "\(rule) sends credit back through its window, --bptt-steps")
        }
        guard bpttSteps == 7 || bpttSteps == updateEvery else {
            throw ValidationError("--update-every \(updateEvery) and --bptt-steps \(bpttSteps) disagree; an online rule's window is its update period")
        }
        return updateEvery
    }

    /// The task `--task` names, with its own flags; a flag of another task is refused.
    func recurrentTask() throws -> RecurrentTask {
        guard var task = RecurrentTask(name: self.task) else {
            throw ValidationError("--task: \(self.task) is not a task; expected one of \(RecurrentTask.names.joined(separator: ", "))")
        }
        let given = [("--delay", delay != nil), ("--period", period != nil), ("--lags", lags != nil), ("--cues", cues != nil)]
        let own: Set<String>
        switch task {
        case .delayedXOR(var xor):
            own = ["--delay"]
            if let delay { xor = DelayedXOR(delay: delay) }
            task = .delayedXOR(xor)
        case .periodic(var periodic):
            own = ["--period"]
            if let period { periodic.period = period }
            task = .periodic(periodic)
        case .add(var add):
            own = ["--lags"]
            if let lags {
                let parts = lags.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2, let first = parts[0], let second = parts[1] else {
                    throw ValidationError("--lags: \(lags) is not two lags; expected t1,t2 such as 3,8")
                }
                (add.firstLag, add.secondLag) = (first, second)
            }
            task = .add(add)
        case .evidence(var evidence):
            own = ["--delay", "--cues"]
            if let delay { evidence.delay = delay }
            if let cues { evidence.cues = cues }
            task = .evidence(evidence)
        }
        if let (flag, _) = given.first(where: { $0.1 && !own.contains($0.0) }) {
            throw ValidationError("\(flag): not a setting of the \(task.name) task (its own: \(own.sorted().joined(separator: ", ")))")
        }
        return task
    }
}
