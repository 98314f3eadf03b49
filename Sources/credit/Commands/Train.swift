import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network with a learning rule; write config, metrics, summary, checkpoint and learning curves.",
        discussion: """
        Every epoch prints train loss, test error and time; on a terminal a live progress line shows \
        the batch, running loss, samples/s and ETA. The run directory is updated atomically after \
        every epoch, so an interrupted run can be continued with --resume DIR.

        """ + "\n" + RuleRegistry.optionsHelp)

    @OptionGroup var model: ModelOptions

    @OptionGroup var runOptions: RunOptions

    /// Recurrent networks have their own command; a `--model rnn` from an older command line is
    /// pointed there rather than taken for a rule option.
    @Option(name: .customLong("model"), help: .hidden)
    var networkKind: String?

    static let defaultEpochs = 20

    func validate() throws {
        if let networkKind {
            throw ValidationError("--model: train a recurrent network with `credit train-rnn` (found '--model \(networkKind)'); "
                                  + "`credit train` trains feed-forward networks")
        }
        if runOptions.resume == nil { _ = try model.configuration(epochs: 1) }
    }

    func run() throws {
        do {
            try train()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }

    private func train() throws {
        if let resume = runOptions.resume, RunDirectory(path: resume).holds(RecurrentConfiguration.self) {
            throw ValidationError("--resume: \(resume) holds a recurrent run; continue it with `credit train-rnn --resume \(resume)`")
        }
        let directory: RunDirectory
        var configuration: TrainingConfiguration
        if let resume = runOptions.resume {
            // A run killed in its first epoch has only its config.json: it resumes from the start.
            directory = RunDirectory(path: resume)
            configuration = try directory.readConfiguration()
            try ResumeCheck.refuseContradictions(given: model.configuration(epochs: 1),
                                                 defaults: ModelOptions.parse([]).configuration(epochs: 1), recorded: configuration)
            if let epochs = runOptions.epochs { configuration.epochs = epochs }
        } else {
            configuration = try model.configuration(epochs: runOptions.epochs ?? Self.defaultEpochs)
            if let out = runOptions.out {
                directory = RunDirectory(path: out)
            } else {
                let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
                directory = try RunDirectory.createUnique(base: "runs/\(configuration.dataset.rawValue)-\(configuration.rule.fileName)-\(stamp)")
            }
        }
        let data = try DatasetCatalog.load(configuration.dataset, locator: model.locator)
        let (trainer, _) = try RunSession.run(configuration, data: data, in: directory, events: Console.render)
        let best = trainer.history.filter { !$0.testError.isNaN }.min { $0.testError < $1.testError }
        if let last = trainer.history.last {
            let regression = trainer.model.errorName == "nMSE"
            func show(_ value: Double) -> String { regression ? String(format: "%.4f", value) : percent(value) }
            Console.out("final test \(regression ? "nMSE" : "error") \(show(last.testError))"
                        + (best.map { " (best \(show($0.testError)) at epoch \($0.epoch))" } ?? "") + "; run written to \(directory.path)")
        }
    }
}
