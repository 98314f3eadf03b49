import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` at many moments of a run: every time, resuming until it finishes ends with the
/// weights and metrics of the run that was never interrupted.
@Suite("Killed runs")
struct KillTests {
    static let arguments = ["train", "--layers", "48", "--epochs", "8", "--batch-size", "16", "--seed", "4"]

    /// Starts `credit` and kills it with SIGKILL after `seconds` (if it is still running); true when
    /// it finished by itself.
    static func runKilled(after seconds: Double, _ arguments: [String]) throws -> Bool {
        let executable = try #require(CommandLineTests.executable)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    /// The metrics without their timing columns, and the checkpoint's tensors (after its header).
    static func outcome(_ path: String) throws -> (metrics: [String], tensors: Data) {
        let metrics = try String(contentsOfFile: path + "/metrics.csv", encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { ![6, 7].contains($0.offset) }
                .map(\.element).joined(separator: ",")
        }
        let checkpoint = try Data(contentsOf: URL(fileURLWithPath: path + "/checkpoint.bin"))
        let headerLength = Int(checkpoint[8]) | Int(checkpoint[9]) << 8 | Int(checkpoint[10]) << 16 | Int(checkpoint[11]) << 24
        return (metrics, checkpoint.dropFirst(12 + headerLength))
    }

    @Test func aRunKilledAtAnyMomentResumesToTheUninterruptedResult() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("credit-kill-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let straight = root + "/straight"
        #expect(try Self.runKilled(after: 120, Self.arguments + ["--out", straight]))
        let expected = try Self.outcome(straight)
        // Kill points spread over start-up, data loading, epochs and the writes between them.
        for (n, delay) in [0.05, 0.12, 0.2, 0.3, 0.45, 0.6, 0.8].enumerated() {
            let path = root + "/killed-\(n)"
            var finished = false, attempts = 0
            while !finished {
                attempts += 1
                let resume = FileManager.default.fileExists(atPath: path + "/config.json")
                // The first attempt is killed at `delay`, later ones after half as long again each time,
                // so that one finishes however slow the machine is (CI runs the suites side by side).
                let after = delay * pow(1.5, Double(attempts - 1))
                finished = try Self.runKilled(after: after, resume ? ["train", "--resume", path] : Self.arguments + ["--out", path])
                #expect(attempts < 25, "no progress after \(attempts) attempts")
                if attempts >= 25 { return }
            }
            let found = try Self.outcome(path)
            #expect(found.metrics == expected.metrics, "killed at \(delay) s")
            #expect(found.tensors == expected.tensors, "killed at \(delay) s: the final tensors differ")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        }
    }
}
