import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `credit` executable as a user would: exit codes (0 success, 64 a bad flag,
/// 1 a data or training failure), the one-line messages, and every command's `--help`.
@Suite("The credit command line")
struct CommandLineTests {
    /// The `credit` built beside this test bundle (`swift build --build-tests` builds both).
    static let executable: URL? = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("credit")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static func credit(_ arguments: String...) throws -> Result { try credit(arguments) }

    /// Runs `credit arguments`, with `environment`'s variables set (or, where `nil`, removed).
    static func credit(_ arguments: [String], environment: [String: String?] = [:]) throws -> Result {
        let executable = try #require(Self.executable, "no credit executable beside \(CommandLine.arguments[0])")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            var variables = ProcessInfo.processInfo.environment
            for (name, value) in environment { variables[name] = value }
            process.environment = variables
        }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // A command that should be refused but trains instead must fail the test, not hang it.
        let pid = process.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 120) { kill(pid, SIGKILL) }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
                      error: String(decoding: err, as: UTF8.self))
    }

    @Test(arguments: ["train", "train-rnn", "compare", "compare-rnn", "reproduce", "sweep", "run", "report", "bench", "info"])
    func everyCommandExplainsItself(_ command: String) throws {
        let result = try Self.credit(command, "--help")
        #expect(result.status == 0)
        #expect(result.output.contains("USAGE: credit \(command)"))
    }

    /// Each network's command shows its own flags only, and lists the rules' own options.
    @Test func trainAndTrainRNNShowOnlyTheirOwnFlags() throws {
        let mlp = try Self.credit("train", "--help").output
        let rnn = try Self.credit("train-rnn", "--help").output
        for flag in ["--layers", "--activation", "--autoencoder", "--joint", "--inputs", "--decay", "--mirror-lr", "--noise"] {
            #expect(mlp.contains(flag), "train --help lacks \(flag)")
        }
        for flag in ["--bptt-steps", "--delay", "--streams", "--steps-per-epoch", "--model", "--decay", "--mirror-lr", "--noise"] {
            if !["--decay", "--mirror-lr", "--noise"].contains(flag) { #expect(!mlp.contains(flag), "train --help shows \(flag)") }
            if flag != "--model" { #expect(rnn.contains(flag), "train-rnn --help lacks \(flag)") }
        }
        for flag in ["--layers", "--activation", "--autoencoder", "--joint", "--inputs", "--kickback-scales", "--aux-errors", "--ridge"] {
            #expect(!rnn.contains(flag), "train-rnn --help shows \(flag)")
        }
    }

    /// A flag that is wrong, or does not fit the chosen command or rule, is refused with exit 64
    /// and one line that names it.
    @Test(arguments: [
        (["train", "--lr", "-1"], "--lr: expected a positive, finite learning rate, found '-1.0'"),
        (["train", "--epochs", "-3"], "--epochs"),
        (["train-rnn", "--hidden", "-2"], "--hidden"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--layers", ""], "--layers"),
        (["train", "--rule", "nope"], "--rule"),
        (["train", "--rule", "fa", "--noise", "0.1"], "--noise"),
        (["train", "--rule", "np", "--noise", "-1"], "--noise"),
        (["train", "--rule", "kp", "--decay", "2"], "--decay"),
        (["train", "--bptt-steps", "5"], "--bptt-steps"),
        (["train", "--model", "rnn"], "train-rnn"),
        (["train", "--dataset", "delayed-xor"], "train-rnn"),
        (["train-rnn", "--activation", "relu"], "--activation"),
        (["train-rnn", "--rule", "dfa"], "--rule"),
        (["train-rnn", "--rule", "np", "--ridge", "1"], "--ridge"),
        (["compare", "--rules", "bp", "--noise", "1"], "--noise"),
        (["compare", "--rule", "fa"], "--rule"),
        (["compare-rnn", "--rules", "bp,dfa"], "--rule"),
        (["compare-rnn", "--rules", "bp,kp", "--noise", "1"], "--noise"),
        (["compare-rnn", "--layers", "8"], "--layers"),
        // The library names fields (`rule.feedbackLearningRate`, `task.delay`); the command line shows their flags.
        (["train", "--rule", "np", "--feedback-lr", "-1"], "--feedback-lr"),
        (["train-rnn", "--lr", "-1"], "--lr"),
        (["train-rnn", "--bptt-steps", "0"], "--bptt-steps"),
        (["train-rnn", "--delay", "0"], "--delay"),
        (["train-rnn", "--task", "copy"], "--task: copy is not a task"),
        (["train-rnn", "--task", "add", "--lags", "3"], "--lags"),
        (["train-rnn", "--task", "add", "--lags", "3,3"], "--lags"),
        (["train-rnn", "--task", "add", "--period", "50"], "--period: not a setting of the add task"),
        (["train-rnn", "--task", "periodic", "--bptt-steps", "7"], "--bptt-steps: expected a divisor"),
        (["train-rnn", "--task", "evidence", "--cues", "6"], "--cues"),
        (["train-rnn", "--update-every", "1"], "--update-every: for the rules that learn online"),
        (["train-rnn", "--rule", "eprop", "--update-every", "2", "--bptt-steps", "5"], "--update-every"),
        (["train-rnn", "--readout-leak", "1"], "--readout-leak"),
        (["train-rnn", "--rule", "rtrl", "--hidden", "8", "--readout-leak", "0.5"], "--readout-leak"),
        (["train-rnn", "--freeze", "W_hid"], "--freeze"),
        (["train-rnn", "--recurrent-gain", "-1"], "--recurrent-gain"),
        (["train", "--rule", "fa", "--feedback-lr", "0.1"], "--feedback-lr: expected a rule that has it (np)"),
        (["train", "--kickback-scales", "2"], "--kickback-scales: expected a rule that has it (kickback)"),
        (["train", "--rule", "ngrad", "--nudge", "-1"], "--nudge: expected a positive, finite nudge η"),
        (["train", "--rule", "ngrad", "--nudge-mode", "both"], "--nudge-mode"),
        (["train", "--rule", "ngrad", "--backward-noise", "-0.1", "--backward", "learned"], "--backward-noise"),
        (["train", "--rule", "fa", "--backward", "learned"], "--backward: expected a rule that has it"),
        (["train", "--rule", "sdtp", "--target-step", "0.2"], "--target-step: expected no target step with sdtp"),
        (["train", "--rule", "drl", "--backward-noise", "0"], "--backward-noise: expected a noise σ > 0"),
        (["train", "--rule", "dtp", "--backward-optimizer", "rmsprop"], "--backward-optimizer: expected sgd, momentum or adam"),
        (["train", "--rule", "eqprop", "--activation", "hard-sigmoid", "--loss", "squared-error", "--beta", "0"], "--beta"),
        (["train", "--rule", "eqprop", "--activation", "hard-sigmoid", "--loss", "squared-error", "--free-steps", "0"], "--free-steps"),
        (["train", "--rule", "eqprop", "--activation", "hard-sigmoid", "--loss", "squared-error", "--settle-step", "0"], "--settle-step"),
        (["train", "--rule", "eqprop"], "--activation: expected hard-sigmoid units"),
        (["train", "--rule", "chl", "--activation", "hard-sigmoid", "--loss", "squared-error", "--beta", "0.2"], "--rule"),
        (["train", "--rule", "pc", "--inference-steps", "0"], "--inference-steps"),
        (["train", "--spikes", "sometimes"], "--spikes"),
        (["train", "--spikes", "poisson", "--spike-window", "-0.1"], "--spike-window"),
        (["train", "--spikes", "poisson", "--max-rate", "0"], "--max-rate"),
        (["train", "--max-rate", "50"], "--max-rate: only with --spikes"),
        (["train", "--spikes", "bernoulli", "--activation", "relu"], "--spikes"),
        (["train", "--spikes", "poisson", "--dropout", "0.5"], "--dropout"),
        (["train", "--dropout", "1"], "--dropout"),
        (["train", "--noisy-eval"], "--noisy-eval"),
        // Flags that would change nothing for this model or optimizer.
        (["train", "--optimizer", "sgd", "--momentum", "0.5"], "--momentum"),
        (["train-rnn", "--momentum", "0.5"], "--momentum"),
        (["train", "--positive-fraction", "0.3"], "--positive-fraction"),
        (["train", "--loss", "rectilinear", "--output-activation", "identity", "--dataset", "sarcos"], "--output-activation"),
    ])
    func aMisplacedFlagIsRefused(_ arguments: [String], _ named: String) throws {
        let result = try Self.credit(arguments)
        #expect(result.status == 64, "\(arguments): \(result.error)")
        #expect(result.error.contains(named), "\(arguments): \(result.error)")
        #expect(!result.error.contains("Fatal error"))
        // A negative number is a value to judge, not a missing one.
        #expect(!result.error.contains("Missing value"), "\(arguments): \(result.error)")
    }

    /// The RNN has `compare` too: every rule through time into its own run directory, one report.
    @Test func rulesThroughTimeAreCompared() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-compare-rnn-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Self.credit("compare-rnn", "--rules", "bp,kp", "--decay", "0.01", "--hidden", "8", "--streams", "4",
                                     "--steps-per-epoch", "140", "--epochs", "1", "--out", directory)
        #expect(result.status == 0, "\(result.error)")
        for file in ["comparison.csv", "test-error.svg", "angles.svg", "bp/metrics.csv", "kp/checkpoint.bin"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(file)")
        }
        let kp = try String(contentsOfFile: directory + "/kp/config.json", encoding: .utf8)
        #expect(kp.contains("\"decay\" : 0.01"), "\(kp)")
    }

    /// `--resume` continues the recorded run: a flag that would change it is refused, and so are
    /// fewer epochs than it has finished; more epochs extend it.
    @Test func resumeRefusesWhatWouldChangeTheRun() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-resume-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Self.credit("train", "--layers", "16", "--epochs", "2", "--out", directory).status == 0)
        let layers = try Self.credit("train", "--resume", directory, "--layers", "64")
        #expect(layers.status == 64 && layers.error.contains("--layers: not used with --resume"), "\(layers.error)")
        let fewer = try Self.credit("train", "--resume", directory, "--epochs", "1")
        #expect(fewer.status == 64 && fewer.error.contains("--epochs: expected at least the 2 epochs"), "\(fewer.error)")
        let more = try Self.credit("train", "--resume", directory, "--epochs", "3", "--layers", "16")
        #expect(more.status == 0, "\(more.error)")
        #expect(more.output.contains("run written to \(directory)"))
    }

    @Test func missingDataIsAFailureThatSaysWhereItLooked() throws {
        let result = try Self.credit("train", "--dataset", "mnist", "--data", "/nonexistent-root", "--epochs", "1")
        #expect(result.status == 1)
        #expect(result.error.contains("/nonexistent-root/mnist"))
    }

    @Test func aShortRunWritesItsDirectoryAndResumes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Self.credit("train", "--layers", "16", "--rule", "kp", "--decay", "0.001", "--epochs", "1", "--out", directory)
        #expect(first.status == 0, "\(first.error)")
        for file in ["config.json", "metrics.csv", "summary.json", "checkpoint.bin", "curves.svg", "diagnostics.csv"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(file)")
        }
        let config = try String(contentsOfFile: directory + "/config.json", encoding: .utf8)
        #expect(config.contains("\"name\" : \"kp\"") && config.contains("\"decay\" : 0.001"))
        let resumed = try Self.credit("train", "--resume", directory, "--epochs", "2")
        #expect(resumed.status == 0, "\(resumed.error)")
        let metrics = try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 3)
    }
}

/// `credit info` and `credit bench` say when OpenBLAS is pinned to kernels narrower than the CPU
/// has, by how much (measured), and how to change it.
@Suite("A held-back BLAS")
struct HeldBackBLASTests {
    static func info(coreType: String?) throws -> String {
        try CommandLineTests.credit(["info"], environment: ["OPENBLAS_CORETYPE": coreType]).output
    }

    @Test func aPinnedCoreTypeIsReportedWithItsMeasuredCost() throws {
        let free = try Self.info(coreType: nil)
        #expect(!free.contains("warning:"), "\(free)")
        guard free.contains("core type:  SkylakeX") || free.contains("core type:  Cooperlake") || free.contains("core type:  SapphireRapids") else {
            print("skipped: no OpenBLAS with AVX-512 kernels here, nothing to hold back")
            return
        }
        let pinned = try Self.info(coreType: "Haswell")
        #expect(pinned.contains("warning: OpenBLAS runs Haswell kernels on a CPU with AVX-512"), "\(pinned)")
        #expect(pinned.contains("× faster") && pinned.contains("unset OPENBLAS_CORETYPE"), "\(pinned)")
    }
}
