import CreditKit
import Foundation

/// Trains one configuration into one run directory, reporting progress as ``RunEvent``s: the loop
/// `train`, `compare` and `reproduce` share. A directory that already holds a checkpoint of the
/// same configuration is resumed, so an interrupted comparison or reproduction picks up where it was.
public enum RunSession {
    /// With `stopOnDivergence`, a run whose loss stops being finite ends early and returns what it
    /// had (the divergence in `failure`) instead of throwing, so that an experiment can show a rule
    /// or a seed failing. It leaves `diverged.txt`; a rerun reports it again without retraining.
    @discardableResult
    public static func run(_ requested: TrainingConfiguration, data: DataSplit, in directory: RunDirectory, label: String? = nil,
                           stopOnDivergence: Bool = false, events: (RunEvent) -> Void = { _ in }) throws
        -> (trainer: Trainer, failure: String?) {
        var configuration = requested
        let resuming = FileManager.default.fileExists(atPath: directory.checkpointPath)
        let divergedBefore = stopOnDivergence ? try? String(contentsOfFile: directory.divergencePath, encoding: .utf8) : nil
        let recorded = resuming || divergedBefore != nil
        if configuration.rule.settings.needsPreparation {
            if recorded {
                // The choices made when the run started (e.g. Kickback's factors) are in its config.json.
                configuration.rule = try directory.readConfiguration().rule
            } else {
                try configuration.validate(against: data)
                configuration.rule = try configuration.rule.prepared(for: configuration, data: data) {
                    events(.status("\(label.map { $0 + ": " } ?? "")\($0)"))
                }
            }
        }
        /// A trainer at the last finished epoch on disk (epoch 0 without a checkpoint).
        func lastRecorded() throws -> Trainer {
            var trainer = try Trainer(configuration: configuration, data: data)
            if FileManager.default.fileExists(atPath: directory.checkpointPath) {
                try trainer.restore(Checkpoint.read(from: directory.checkpointPath, activations: trainer.network.layers.map(\.activation)))
            }
            return trainer
        }
        if recorded {
            var comparable = try directory.readConfiguration()
            comparable.epochs = configuration.epochs
            guard comparable == configuration else {
                throw TrainingError.checkpoint(file: directory.configurationPath,
                                               reason: "holds a run of another configuration; choose another --out or remove it")
            }
        }
        var trainer = try lastRecorded()
        if let divergedBefore {
            events(.status("\(directory.path) diverged before: \(divergedBefore)"))
            return (trainer, divergedBefore)
        }
        if resuming {
            if trainer.epochsCompleted > 0 {
                events(.status("resuming \(directory.path) after epoch \(trainer.epochsCompleted) of \(configuration.epochs)"))
            }
        } else {
            try directory.create()
        }
        try directory.writeConfiguration(of: trainer)
        events(.status("\(label.map { $0 + ": " } ?? "")\(trainer.architecture), rule \(trainer.rule.name), "
                       + "\(configuration.optimizer.rawValue) lr \(configuration.learningRate), batch \(configuration.batchSize); "
                       + "\(data.train.count) train / \(data.test.count) test from \(data.source); GEMM: \(trainer.backend.name)"))
        while trainer.epochsCompleted < configuration.epochs {
            let record: EpochRecord
            do {
                record = try trainer.trainEpoch { event in
                    switch event {
                    case .batch(let progress): events(.progress(progress))
                    case .warning(let text): events(.warning(text))
                    default: break
                    }
                }
            } catch {
                guard stopOnDivergence, case .diverged = error else { throw error }
                events(.status("\(label.map { $0 + ": " } ?? "")\(error)"))
                try AtomicFile.write("\(error)", to: directory.divergencePath)
                // The weights are NaN now; what the run has to show is its last finished epoch.
                return (try lastRecorded(), "\(error)")
            }
            let angles = record.probes.last.map { "  ∠ΔW " + $0.diagnostics.weightAngles.map { String(format: "%.1f°", $0) }.joined(separator: " ") } ?? ""
            events(.output(String(format: "%@epoch %3d/%d  train loss %.4f  train err %@  test loss %.4f  test err %@  %.1f s  %@ samples/s",
                                  label.map { $0 + "  " } ?? "", record.epoch, configuration.epochs, record.trainLoss, percent(record.trainError),
                                  record.testLoss, percent(record.testError), record.seconds, grouped(record.samplesPerSecond)) + angles))
            try directory.recordEpoch(of: trainer)
        }
        return (trainer, nil)
    }
}
