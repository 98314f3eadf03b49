import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct TrainRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-rnn",
        abstract: "Train a tanh RNN on a sequence task with truncated BPTT, or a rule through time: FA, NP, e-prop, RFLO, RTRL, ….",
        discussion: """
        hₜ = (1 − α)hₜ₋₁ + α tanh(W_in xₜ + W_rec hₜ₋₁ + b), ŷₜ = κŷₜ₋₁ + W_out hₜ + b_out (softmax for the add and \
        evidence tasks), on --streams parallel streams of the --task (continuous, or cut into trials that start afresh); \
        each window of --bptt-steps runs forward from the state the last one left, sends credit back to its first step \
        (online rules: carries their traces on), and takes one optimizer step. The run directory gets config.json, metrics.csv and checkpoint.bin after every \
        epoch; --resume DIR continues an interrupted run.

        """ + RecurrentOptions.ruleOptionsHelp)

    @OptionGroup var model: RecurrentOptions

    @OptionGroup var runOptions: RunOptions

    func validate() throws {
        if runOptions.resume == nil { _ = try model.configuration(epochs: 1) }
    }

    func run() throws {
        do {
            let configuration: RecurrentConfiguration
            let path: String
            if let resume = runOptions.resume {
                let directory = RunDirectory(path: resume)
                if directory.holds(TrainingConfiguration.self) {
                    throw ValidationError("--resume: \(resume) holds a feed-forward run; continue it with `credit train --resume \(resume)`")
                }
                // A run killed in its first epoch has only its config.json: it resumes from the start.
                var recorded = try directory.readConfiguration(as: RecurrentConfiguration.self)
                try ResumeCheck.refuseContradictions(given: model.configuration(epochs: 1),
                                                     defaults: RecurrentOptions.parse([]).configuration(epochs: 1), recorded: recorded)
                if let epochs = runOptions.epochs { recorded.epochs = epochs }
                (configuration, path) = (recorded, resume)
            } else {
                configuration = try model.configuration(epochs: runOptions.epochs ?? 10)
                if let out = runOptions.out {
                    path = out
                } else {
                    let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
                    path = try RunDirectory.createUnique(base: "runs/\(configuration.task.name)-rnn-\(configuration.rule.fileName)-\(stamp)").path
                }
            }
            let (trainer, _) = try RunSession.run(configuration, in: RunDirectory(path: path), events: Console.render)
            if let last = trainer.history.last {
                let error = trainer.model.errorName == "nMSE" ? String(format: "normalized MSE %.4f", last.testError)
                    : String(format: "%.1f%% of answers wrong", 100 * last.testError)
                Console.out(String(format: "final test loss %.4g per step, %@; run written to %@", last.testLoss, error, path))
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
