import CreditKit

extension ExperimentRegistry {
    /// Murray's (2019) periodic output as in the authors' notebook: 50 leaky units (τ 10), no
    /// input, W_in frozen and no biases, trials of 100 steps from the state 0.1, one update at each
    /// trial's end, 10,000 trials; BPTT, RFLO and e-prop (symmetric, and random with B drawn like
    /// W_out).
    static var murrayPeriodic: Experiment {
        // The notebook's step: η = 0.03 on the gradient of the mean over the trial's 100 steps; ours
        // sums over the steps, so the same step is 0.03 / 100. The notebook has no e-prop, and
        // e-prop's learning signal goes through W_out (or a B drawn like it), which starts over 100
        // times smaller than RFLO's N(0, 1) B: at the notebook's step it barely moves W_rec (1.0·10⁻²,
        // little better than the readout alone, 1.7·10⁻²). Symmetric e-prop's step comes from a
        // search over seeds (on the trial's mean): 0.3 → 0.7–3.0·10⁻⁴, 0.5 → 1.2–2.2·10⁻⁴, 0.7 →
        // 0.2–3.5·10⁻⁴, 1.0 fails (3.5·10⁻²). Random e-prop keeps the notebook's: its B stays as
        // small as W_out started, and the steps that would make up for it are more than W_out
        // stands (0.1: seed 10 diverges; 0.15: two seeds in ten); drawn like RFLO's, it is RFLO.
        let notebookStep: Float = 0.03 / 100
        func run(_ variant: String, _ rule: RuleSpec, learningRate: Float = notebookStep, paper: Double?) -> ExperimentRun {
            var configuration = RecurrentConfiguration()
            configuration.task = .periodic(PeriodicOutput(period: 100))
            configuration.hidden = 50
            configuration.leak = 0.1
            configuration.recurrentGain = 1.5
            configuration.readoutScale = 0.1
            configuration.frozen = ["W_in", "b", "b_out"]
            configuration.streams = 1
            configuration.bpttSteps = 100
            configuration.stepsPerEpoch = 100 * 100
            configuration.epochs = 100
            configuration.learningRate = learningRate
            configuration.rule = rule
            return ExperimentRun(model: "rnn-50-leaky", variant: variant, configuration: .recurrent(configuration), paperTestError: paper,
                                 paperNote: paper == nil ? nil : "final ½·mean squared error after 10,000 trials, Murray's RFLO notebook (one run); "
                                     + "the notebook's code on numpy seeds 1–10 (bench/authors/murray_rflo_notebook.py): "
                                     + "BPTT 7.1e-4 ± 1.9e-4, RFLO 1.14e-3 ± 2.8e-4")
        }
        return Experiment(
            name: "murray-periodic", source: "Murray 2019 (RFLO), the authors' notebook: periodic output",
            notes: "50 leaky tanh units (α = 1/τ = 0.1), W_rec ~ N(0, 1.5²/50), W_out ~ U(±0.1/√50), W_in frozen, no biases, state 0.1 "
                + "at each trial's start; target sin(2πt/100) + ½sin(4πt/100) + ¼sin(8πt/100) over 100-step trials with no input; "
                + "plain SGD at the notebook's step (0.03 on the trial's mean loss) for BPTT and RFLO, one update per trial, 100 epochs "
                + "of 100 trials. RFLO's B ~ N(0, 1) as in the notebook; e-prop random draws B like W_out. The notebook has no e-prop: "
                + "its learning signal through W_out starts over 100 times weaker than RFLO's, so symmetric e-prop's step was searched "
                + "over seeds (0.5 on the trial's mean); random e-prop keeps the notebook's, since larger steps than it make W_out "
                + "diverge on some seeds. The figure is the test loss, ½·mean "
                + "squared error per step.",
            runs: [run("bptt", .backprop, paper: 2.3e-4),
                   run("rflo", RuleSpec(EligibilityPropagationSettings(learningSignal: .random, namedRFLO: true, feedback: .gaussian(1))),
                       paper: 1.5e-4),
                   run("eprop", RuleSpec(EligibilityPropagationSettings()), learningRate: 0.5 / 100, paper: nil),
                   run("eprop-random", RuleSpec(EligibilityPropagationSettings(learningSignal: .random)), paper: nil)],
            defaultEpochs: 100, reconstructions: false, measure: .testLoss)
    }

    /// The add task (Pitis 2016; the online-learning comparison of Marschall et al. 2020): lags 3
    /// and 8, a 32-unit RNN with a softmax readout, 20 streams; BPTT over windows longer than both
    /// lags, truncated BPTT over windows shorter than them, e-prop, RFLO, FA and NP through time.
    static var addTask: Experiment {
        func run(_ variant: String, _ rule: RuleSpec, window: Int, learningRate: Float, leak: Float? = nil) -> ExperimentRun {
            var configuration = RecurrentConfiguration()
            configuration.task = .add(AddTask())
            configuration.hidden = 32
            configuration.streams = 20
            configuration.bpttSteps = window
            configuration.stepsPerEpoch = 20_000
            configuration.epochs = 20
            configuration.learningRate = learningRate
            // Constant steps let symmetric e-prop fall back to the no-memory rung after reaching
            // 0.48 (measured); every rule gets the same decay.
            configuration.learningRateDecay = 0.85
            configuration.leak = leak
            configuration.rule = rule
            return ExperimentRun(model: "rnn-32", variant: variant, configuration: .recurrent(configuration), paperNote: nil)
        }
        let ladder = AddTask.crossEntropyLadder
        let online = { (settings: EligibilityPropagationSettings) in RuleSpec(settings) }
        return Experiment(
            name: "add-task", source: "Pitis 2016 / Marschall, Cho & Savin 2020: the add task (lags 3 and 8)",
            notes: "xₜ ~ Bernoulli(½), P(yₜ = 1) = 0.5 + 0.5xₜ₋₃ − 0.25xₜ₋₈; 32 tanh units, softmax readout, 20 streams × 20,000 steps "
                + "per epoch, plain SGD with the step × 0.85 per epoch. BPTT over windows of 20; truncated BPTT over 4 and over 2 steps; e-prop (symmetric, vanilla "
                + "units) and random e-prop update every step; RFLO with leaky units (α 0.7) and B ~ N(0, 1); FA and NP through time "
                + "over windows of 20. Step sizes found by a short search per rule. The figure is the test cross-entropy per "
                + "step, drawn against the ladder: \(String(format: "%.2f", ladder.noMemory)) knowing no past input, "
                + "\(String(format: "%.2f", ladder.firstDependency)) knowing xₜ₋₃, \(String(format: "%.2f", ladder.both)) knowing both.",
            runs: [run("bptt-20", .backprop, window: 20, learningRate: 0.03),
                   run("tbptt-4", .backprop, window: 4, learningRate: 0.03),
                   run("tbptt-2", .backprop, window: 2, learningRate: 0.03),
                   run("eprop", online(EligibilityPropagationSettings()), window: 1, learningRate: 0.03),
                   run("eprop-random", online(EligibilityPropagationSettings(learningSignal: .random)), window: 1, learningRate: 0.01),
                   run("rflo", online(EligibilityPropagationSettings(learningSignal: .random, namedRFLO: true, feedback: .gaussian(1))),
                       window: 1, learningRate: 0.01, leak: 0.7),
                   run("fa", .recurrentFeedbackAlignment, window: 20, learningRate: 0.003),
                   run("np", RuleSpec(NodePerturbationSettings(noise: 0.01, feedbackLearningRate: 0.001, feedback: .xavier)), window: 20,
                       learningRate: 0.01)],
            defaultEpochs: 20, reconstructions: false, measure: .testLoss,
            referenceLosses: [("no memory", ladder.noMemory), ("first dependency", ladder.firstDependency), ("both", ladder.both)])
    }
}
