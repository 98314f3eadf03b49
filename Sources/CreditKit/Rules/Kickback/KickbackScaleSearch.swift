import Foundation

/// Chooses Kickback's rescaling factors by k-fold cross-validation on the training set, as the
/// paper did ("two additional parameters that rescale the feedback to hidden layers 1 & 2", tuned
/// by grid search with cross-validation).
///
/// The grid is centred on the factors that give the truncated credits backprop's size on a probe
/// batch at initialization (the paper observed that cross-validation lands about there), times
/// `multipliers` (×¼ … ×4). Factors are searched one layer at a time, from the input side up, each
/// keeping the best value for the layers already searched: `layers × multipliers × folds` runs of
/// `epochs` epochs instead of the full product. Folds are contiguous blocks of the training set
/// (the robot data are time series, so shuffled folds would leak neighbouring samples into
/// validation).
///
/// Within a layer the choice follows the one-standard-error rule (Breiman et al. 1984; Hastie,
/// Tibshirani & Friedman, §7.10): of the candidates whose mean validation error lies within one
/// standard error (over the folds) of the best, the one nearest the magnitude-matching centre is
/// kept. Three time-series folds rank nearby factors noisily, and a factor far from the centre
/// should win only when it wins clearly.
///
/// What Barrett joint 7 taught (50-epoch runs; backprop 16.0 % nMSE): 3-epoch trials chose small
/// factors that ended at 20.9 % (1.30× backprop); a grid widened to ×16 chose factors that reached
/// 9.5 % but let the first layer's coherence decay to 0.72, and Barrett 5 and 6 to 0.82 and 0.78.
/// 10-epoch trials on the ×4 grid, bottom-up, with incoherent candidates rejected, chose
/// [0.51, 0.20]: 16.1 % with coherence 0.96. On Barrett joint 5 that search, taking the plain
/// minimum, picked [0.06, 0.05] on a fold score 4 % below the centre's (0.207 against 0.215) and
/// ended at 1.31× backprop, where the centre reaches 1.05×: hence the one-standard-error rule,
/// with which all 14 joints land within 0.76–1.16× backprop (Barrett 5: 1.00×).
public struct KickbackScaleSearch: Sendable, Equatable {
    /// Folds of cross-validation per candidate.
    public var folds = 3
    /// Epochs each trial trains.
    public var epochs = 10
    /// The factors tried around the centre, per layer.
    public var multipliers: [Float] = [0.25, 0.5, 1, 2, 4]
    /// With signed initialization, factors whose trial ends with a hidden layer less coherent than
    /// this are rejected: Kickback's sign guarantee (Theorem 4) needs coherence, and the factors
    /// that learn fastest early can flip the signs of the weights above and let it decay over a
    /// long run. The margin above 0.9 is for that decay.
    public var minimumCoherence = 0.97

    /// A search with `folds` folds of `epochs` epochs each.
    public init(folds: Int = 3, epochs: Int = 10) {
        self.folds = folds
        self.epochs = epochs
    }

    /// What the search chose and how it got there.
    public struct Result: Sendable {
        /// The chosen factor per hidden layer.
        public var scales: [Float]
        /// Mean validation normalized MSE of the chosen factors.
        public var validationError: Double
        /// Its standard error over the folds.
        public var standardError: Double
        /// Trainings run.
        public var trials: Int
    }

    /// The factors for `configuration` (whose rule's own factors are ignored) on `data.train`.
    public func search(_ configuration: TrainingConfiguration, data: DataSplit,
                       progress: (String) -> Void = { _ in }) throws -> Result {
        let layers = max(configuration.hiddenLayers.count - 1, 0)
        guard layers > 0 else { return Result(scales: [], validationError: .nan, standardError: .nan, trials: 0) }
        var scales = try magnitudeMatchingScales(configuration, data: data)
        progress("kickback scales: magnitude-matching start \(Self.format(scales))")
        var chosen = Trial(multiplier: 1, error: .infinity, standardError: .nan), trials = 0
        // Only a signed start is coherent to begin with; a uniform one is not held to it.
        let demandCoherence = Initializer(argument: configuration.initializer).map {
            if case .signed = $0 { true } else { false }
        } ?? false
        for ℓ in 0..<layers {
            let centre = scales[ℓ]
            var admitted: [Trial] = []
            for m in multipliers {
                var candidate = scales
                candidate[ℓ] = centre * m
                let score = try validationError(configuration, scales: candidate, data: data)
                trials += 1
                let coherent = !demandCoherence || !(score.coherence < minimumCoherence)
                progress("  layer \(ℓ + 1) factor \(String(format: "%.3g", candidate[ℓ])): validation nMSE "
                         + (score.mean.isFinite ? String(format: "%.4f ± %.4f", score.mean, score.standardError) : "— (diverged)")
                         + (score.coherence.isFinite ? ", least coherence \(String(format: "%.3f", score.coherence))" : "")
                         + (coherent ? "" : " (rejected: incoherent)"))
                if coherent { admitted.append(Trial(multiplier: m, error: score.mean, standardError: score.standardError)) }
            }
            if let pick = Self.oneStandardErrorChoice(admitted) {
                chosen = pick
                scales[ℓ] = centre * pick.multiplier
            }
        }
        return Result(scales: scales, validationError: chosen.error, standardError: chosen.standardError, trials: trials)
    }

    /// One candidate factor's score: its multiplier of the centre and its fold mean ± SE.
    struct Trial: Equatable {
        var multiplier: Float
        var error: Double
        var standardError: Double
    }

    /// The one-standard-error rule: among `trials` within one standard error of the best mean,
    /// the one whose multiplier is nearest 1 on a log scale (ties to the lower error). Nil when
    /// nothing was admitted (the centre stays).
    static func oneStandardErrorChoice(_ trials: [Trial]) -> Trial? {
        guard let best = trials.filter({ $0.error.isFinite }).min(by: { $0.error < $1.error }) else { return nil }
        let threshold = best.error + (best.standardError.isFinite ? best.standardError : 0)
        return trials.filter { $0.error <= threshold }.min { a, b in
            let (da, db) = (abs(log(Double(a.multiplier))), abs(log(Double(b.multiplier))))
            return da != db ? da < db : a.error < b.error
        }
    }

    /// Per layer, ‖δa_BP‖/‖δa_Kickback‖ at unit scale on a probe batch of the initial network.
    func magnitudeMatchingScales(_ configuration: TrainingConfiguration, data: DataSplit) throws -> [Float] {
        var unit = configuration
        unit.rule = RuleSpec(KickbackSettings(scales: .fixed([1])))
        let trainer = try Trainer(configuration: unit, data: data)
        let layers = configuration.hiddenLayers.count - 1
        var probe = GradientProbe(dataset: trainer.data.train, architecture: trainer.architecture, seed: configuration.seed)
        let reference = BackpropagationSettings.backpropagation(for: trainer.network, loss: configuration.loss)
        let norms = probe.creditNorms(network: trainer.network, rules: [trainer.rule, reference],
                                      loss: configuration.loss, dataset: trainer.data.train, backend: trainer.backend)
        return (0..<layers).map { ℓ in
            let ratio = norms[1][ℓ] / max(norms[0][ℓ], 1e-30)
            return Float(ratio.isFinite && ratio > 0 ? ratio : 1)
        }
    }

    /// The mean validation nMSE over the folds, its standard error, and the least coherence of any
    /// hidden layer at the end of any fold's trial.
    func validationError(_ configuration: TrainingConfiguration, scales: [Float], data: DataSplit) throws
        -> (mean: Double, standardError: Double, coherence: Double) {
        let n = data.train.count
        var errors: [Double] = [], coherence = Double.infinity
        for k in 0..<folds {
            let lower = k * n / folds, upper = (k + 1) * n / folds
            let held = Array(lower..<upper), kept = Array(0..<lower) + Array(upper..<n)
            let fold = DataSplit(train: data.train.selecting(rows: kept, name: "fold-train"),
                                 test: data.train.selecting(rows: held, name: "fold-validation"), source: data.source)
            var trial = configuration
            trial.rule = RuleSpec(KickbackSettings(scales: .fixed(scales)))
            trial.epochs = epochs
            var trainer = try Trainer(configuration: trial, data: fold)
            let last = Self.finalError(of: &trainer, epochs: epochs)
            errors.append(last.isFinite ? last : 1e6)
            let layers = trainer.history.last?.probes.last?.diagnostics.coherence ?? []
            coherence = min(coherence, layers.min() ?? .nan)
        }
        let score = MeanAndStandardError(errors)
        return (score.mean, score.standardError, coherence)
    }

    /// The validation error after `epochs`, or NaN when the trial diverges: factors that large
    /// get the worst score; they do not end the search.
    private static func finalError(of trainer: inout Trainer<FeedForwardModel>, epochs: Int) -> Double {
        var last = Double.nan
        do {
            for _ in 0..<epochs { last = try trainer.trainEpoch().testError }
        } catch {
            return .nan
        }
        return last
    }

    /// `[0.5, 1, 2]`, three significant digits each.
    public static func format(_ scales: [Float]) -> String {
        "[" + scales.map { String(format: "%.3g", $0) }.joined(separator: ", ") + "]"
    }
}
