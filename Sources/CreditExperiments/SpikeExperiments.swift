import CreditKit

extension ExperimentRegistry {
    /// The appendix's claim that spike noise regularizes like dropout, measured: 784-800-800-10
    /// tanh on MNIST with BP, FA, DFA and NGRAD, each noiseless, with Poisson spikes (r·T = 10)
    /// and with dropout 0.5.
    static var spikeNoiseMNIST: Experiment {
        var runs: [ExperimentRun] = []
        // NGRAD's nudge must stand out of the spike noise its derivative filter measures: η = 0.1 here.
        var ngrad = ActivityDifferenceSettings()
        ngrad.nudge = 0.1
        for (name, rule) in [("bp", RuleSpec.backprop), ("fa", .feedbackAlignment), ("dfa", .directFeedbackAlignment), ("ngrad", RuleSpec(ngrad))] {
            for (label, noise) in [("", nil), ("+spikes", ActivityNoise.spikes(.poisson)), ("+dropout", ActivityNoise.dropout(0.5))] {
                var configuration = TrainingConfiguration(dataset: .mnist, hiddenLayers: [800, 800], activation: .tanh, loss: .crossEntropy,
                                                          rule: rule, epochs: 20, batchSize: 128, learningRate: 3e-4, optimizer: .adam,
                                                          learningRateDecay: 0.9, seed: 1, inputScaling: .global)
                configuration.noise = noise
                runs.append(ExperimentRun(model: "784-800-800-10", variant: name + label, configuration: configuration,
                                          paperTestError: name == "bp" && label == "+dropout" ? 1.3 : name == "bp" && label.isEmpty ? 1.6 : nil,
                                          paperNote: name == "bp" && label != "+spikes" ? "2×800 MLP, Nøkland 2016 / Srivastava et al. 2014" : nil))
            }
        }
        return Experiment(
            name: "spike-noise-mnist", source: "Lillicrap et al. 2020, appendix (\"Spiking neurons\"): spike noise as a regularizer",
            notes: "784-800-800-10 tanh, Adam 3·10⁻⁴ × 0.9 per epoch, batch 128, inputs standardized, 20 epochs; each rule noiseless, with "
                + "Poisson spikes (r·T = 10, learning through the rate's derivative, NGRAD's change by the derivative filter, η = 0.1) "
                + "and with dropout 0.5; evaluation on the noiseless rates. Paper values: an MLP with and without dropout.",
            runs: runs, defaultEpochs: 20, reconstructions: false)
    }
}
