import ArgumentParser
import CreditExperiments
import CreditKit
import Foundation

struct TrainRNN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-rnn",
        abstract: "Train a vanilla tanh RNN on delayed XOR with truncated BPTT, or FA, NP, matching, KP or WM through time.",
        discussion: """
        hₜ = tanh(W_in xₜ + W_rec hₜ₋₁ + b), ŷₜ = W_out hₜ + b_out, on --streams continuous streams; each window \
        of --bptt-steps runs forward from the state the last one left, sends credit back to its first step, and \
        takes one optimizer step. The run directory gets config.json, metrics.csv and checkpoint.bin after every \
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
                    path = try RunDirectory.createUnique(base: "runs/delayed-xor-rnn-\(configuration.rule.fileName)-\(stamp)").path
                }
            }
            let (trainer, _) = try RunSession.run(configuration, in: RunDirectory(path: path), events: Console.render)
            if let last = trainer.history.last {
                Console.out(String(format: "final test loss %.4f per step, XOR answers %.1f%% wrong; run written to %@",
                                   last.testLoss, 100 * last.testError, path))
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Console.fail(error)
        }
    }
}
