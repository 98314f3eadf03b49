import CreditKit

/// How the command line names the configuration's fields: the library's errors name a field as the
/// configuration's JSON does (`learningRate`, `rule.noise`); the user typed a flag (`--lr`, `--noise`).
enum FlagNames {
    /// Every configuration field that a flag sets, feed-forward and recurrent.
    static let byField: [String: String] = [
        "rule": "--rule", "hiddenLayers": "--layers", "hiddenActivations": "--activation", "activation": "--activation",
        "outputActivation": "--output-activation", "loss": "--loss", "epochs": "--epochs", "batchSize": "--batch-size",
        "learningRate": "--lr", "learningRateDecay": "--lr-decay", "optimizer": "--optimizer", "momentum": "--momentum",
        "initializer": "--init", "seed": "--seed", "inputScaling": "--inputs", "probeEvery": "--probe-every",
        "autoencoder": "--autoencoder", "positiveFraction": "--positive-fraction", "joint": "--joint", "weightBall": "--weight-ball",
        "freezeForwardWeights": "--freeze-forward", "dataset": "--dataset", "noise": "--spikes", "noise.window": "--spike-window",
        "noise.maxRate": "--max-rate", "noise.dropProbability": "--dropout",
        "hidden": "--hidden", "bpttSteps": "--bptt-steps", "streams": "--streams", "stepsPerEpoch": "--steps-per-epoch",
        "task.delay": "--delay", "task.period": "--period", "task.firstLag": "--lags", "task.secondLag": "--lags", "task.cues": "--cues",
        "leak": "--leak", "readoutLeak": "--readout-leak", "recurrentGain": "--recurrent-gain", "readoutScale": "--readout-init", "frozen": "--freeze",
    ]

    /// The flag of `field`; the field itself when no flag sets it (a rule option as written, `--noise`).
    static func flag(forField field: String) -> String {
        if let flag = byField[field] { return flag }
        if field.hasPrefix("rule."), let flag = RuleRegistry.optionFlag(forField: String(field.dropFirst(5))) { return flag }
        return field
    }

    /// `error`'s message with its field named by its flag.
    static func message(_ error: any Error) -> String {
        guard let error = error as? ConfigurationError else { return "\(error)" }
        return error.description(naming: flag(forField: error.field))
    }
}
