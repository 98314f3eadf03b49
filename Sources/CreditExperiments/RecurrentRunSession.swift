import CreditKit
import Foundation

/// Runs a recurrent configuration into a directory: `config.json` first, then `checkpoint.bin`,
/// `metrics.csv` rewritten atomically after every epoch. A directory that already holds a
/// checkpoint of the same configuration is resumed.
public enum RecurrentRunSession {
    /// With `stopOnDivergence`, a run whose loss stops being finite ends early and returns what it
    /// had (the divergence in `failure`) instead of throwing: an experiment can show a rule failing.
    /// A run that diverged leaves `diverged.txt`, so a rerun reports it again without retraining.
    @discardableResult
    public static func run(_ configuration: RecurrentConfiguration, in path: String, label: String? = nil, stopOnDivergence: Bool = false,
                           events: (RunEvent) -> Void = { _ in }) throws -> (trainer: RecurrentTrainer, failure: String?) {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var trainer = try RecurrentTrainer(configuration: configuration)
        let directory = RunDirectory(path: path)  // the same file names as a feed-forward run
        let checkpointPath = directory.checkpointPath, divergencePath = directory.divergencePath
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: checkpointPath) || fileManager.fileExists(atPath: divergencePath) {
            var comparable = try recordedConfiguration(in: path)
            comparable.epochs = configuration.epochs
            guard comparable == configuration else {
                throw TrainingError.checkpoint(file: directory.configurationPath,
                                               reason: "holds a run of another configuration; choose another --out or remove it")
            }
            if fileManager.fileExists(atPath: checkpointPath) {
                try trainer.restore(RecurrentCheckpoint.read(from: checkpointPath), file: checkpointPath)
            }
            if let failure = try? String(contentsOfFile: divergencePath, encoding: .utf8) {
                events(.status("\(path) diverged before: \(failure)"))
                return (trainer, failure)
            }
            if trainer.epochsCompleted > 0 {
                events(.status("resuming \(path) after epoch \(trainer.epochsCompleted) of \(configuration.epochs)"))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(String(decoding: try encoder.encode(configuration), as: UTF8.self) + "\n", to: directory.configurationPath)
        let prefix = label.map { $0 + "  " } ?? ""
        events(.status("\(prefix)RNN \(DelayedXOR.inputWidth)-\(configuration.hidden)-1 tanh, rule \(configuration.rule), "
                       + "BPTT window \(configuration.bpttSteps), \(configuration.streams) streams × \(configuration.stepsPerEpoch) steps "
                       + "per epoch, \(configuration.optimizer.rawValue) lr \(configuration.learningRate); delayed XOR, delay \(configuration.task.delay)"))
        while trainer.epochsCompleted < configuration.epochs {
            let epochLabel = "\(prefix)epoch \(trainer.epochsCompleted + 1)/\(configuration.epochs)"
            let record: RecurrentEpochRecord
            do {
                record = try trainer.trainEpoch { fraction in events(.progressFraction(fraction, label: epochLabel)) }
            } catch {
                guard stopOnDivergence else { throw error }
                events(.status("\(prefix)\(error)"))
                try AtomicFile.write("\(error)", to: divergencePath)
                return (trainer, "\(error)")
            }
            events(.output(String(format: "%@epoch %3d/%d  train loss %.4f  test loss %.4f  XOR right %.1f%%  ∠δa %.1f°  ∠ΔW_rec %.1f°  %.1f s",
                               prefix, record.epoch, configuration.epochs, record.trainLoss, record.testLoss, 100 * record.testAccuracy,
                               record.creditAngle, record.recurrentWeightAngle, record.seconds)))
            try trainer.checkpoint.write(to: checkpointPath)
            try AtomicFile.write(metricsCSV(trainer.history), to: directory.metricsPath)
        }
        return (trainer, nil)
    }

    /// The configuration a recurrent run directory records; an error naming `config.json` when
    /// it is missing or is not a recurrent run's.
    public static func recordedConfiguration(in path: String) throws -> RecurrentConfiguration {
        let file = RunDirectory(path: path).configurationPath
        guard let data = FileManager.default.contents(atPath: file) else {
            throw TrainingError.checkpoint(file: file, reason: "not found; is \(path) a run directory written by `credit train-rnn --out`?")
        }
        do {
            return try JSONDecoder().decode(RecurrentConfiguration.self, from: data)
        } catch {
            throw TrainingError.checkpoint(file: file, reason: "not a recurrent run's configuration: \(error)")
        }
    }

    /// Whether `path` holds a recurrent run (its `config.json` reads as one).
    public static func isRecurrentRun(_ path: String) -> Bool {
        (try? recordedConfiguration(in: path)) != nil
    }

    /// metrics.csv of a recurrent run: one row per epoch.
    public static func metricsCSV(_ history: [RecurrentEpochRecord]) -> String {
        var lines = ["epoch,train_loss,test_loss,test_xor_accuracy,angle_da_mean,angle_dW_rec,angle_dW_in,relative_error_B_out,"
                     + "relative_error_B_rec,sign_congruence_B_out,sign_congruence_B_rec,seconds"]
        for r in history {
            lines.append([Double(r.epoch), r.trainLoss, r.testLoss, r.testAccuracy, r.creditAngle, r.recurrentWeightAngle, r.inputWeightAngle,
                          r.readoutRelativeError, r.recurrentRelativeError, r.readoutSignCongruence, r.recurrentSignCongruence, r.seconds]
                .map { "\($0)" }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
