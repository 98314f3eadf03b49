import ArgumentParser
import CreditKit

@main
struct Credit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit",
        abstract: "Train neural networks with biologically plausible credit assignment, and measure how well each rule does it.",
        version: CreditKit.version,
        subcommands: [Train.self, TrainRNN.self, Compare.self, CompareRNN.self, Reproduce.self, Sweep.self, Run.self, Report.self, Bench.self, Info.self],
        defaultSubcommand: nil)
}
