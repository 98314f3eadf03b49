import Foundation
import Testing
@testable import CreditExperiments
@testable import CreditKit

/// A run directory is a transaction of one writer: whatever moment a run is stopped at, the
/// resumed run ends where the uninterrupted one does, and its files agree with each other.
@Suite("Run directories")
struct RunDirectoryTransactionTests {
    static let digits = try! DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
    static let configuration = TrainingConfiguration(hiddenLayers: [16], epochs: 3, batchSize: 64, seed: 3)

    static func folder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-run-\(UUID().uuidString)").path
    }

    static func metricRows(_ path: String) throws -> [String] {
        // Everything but the timing columns, which no two runs share.
        try String(contentsOfFile: path + "/metrics.csv", encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { ![6, 7].contains($0.offset) }
                .map(\.element).joined(separator: ",")
        }
    }

    @Test func reportsLeftAnEpochBehindTheCheckpointAreBroughtLevelOnResume() throws {
        let (straight, interrupted) = (Self.folder(), Self.folder())
        defer { for path in [straight, interrupted] { try? FileManager.default.removeItem(atPath: path) } }
        try RunSession.run(Self.configuration, data: Self.digits, in: RunDirectory(path: straight))
        // Epoch 2's checkpoint on disk with epoch 1's reports: a kill between the two writes.
        var shorter = Self.configuration
        shorter.epochs = 1
        try RunSession.run(shorter, data: Self.digits, in: RunDirectory(path: interrupted))
        let staleMetrics = try String(contentsOfFile: interrupted + "/metrics.csv", encoding: .utf8)
        shorter.epochs = 2
        try RunSession.run(shorter, data: Self.digits, in: RunDirectory(path: interrupted))
        try AtomicFile.write(staleMetrics, to: interrupted + "/metrics.csv")
        let (resumed, _) = try RunSession.run(Self.configuration, data: Self.digits, in: RunDirectory(path: interrupted))
        #expect(resumed.epochsCompleted == 3)
        #expect(try Self.metricRows(interrupted) == Self.metricRows(straight))
        let summary = try String(contentsOfFile: interrupted + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"epochsCompleted\" : 3"))
    }

    @Test func aRunKilledInItsFirstEpochStartsOverAsTheSameRun() throws {
        let (straight, killed) = (Self.folder(), Self.folder())
        defer { for path in [straight, killed] { try? FileManager.default.removeItem(atPath: path) } }
        let (uninterrupted, _) = try RunSession.run(Self.configuration, data: Self.digits, in: RunDirectory(path: straight))
        // What a kill during epoch 1 leaves: config.json, and a temporary file of the checkpoint.
        let directory = RunDirectory(path: killed)
        try directory.create()
        try FileManager.default.copyItem(atPath: straight + "/config.json", toPath: directory.configurationPath)
        try Data("half".utf8).write(to: URL(fileURLWithPath: killed + "/.checkpoint.bin.999.tmp"))
        let (resumed, _) = try RunSession.run(Self.configuration, data: Self.digits, in: directory)
        #expect(resumed.network == uninterrupted.network)
        #expect(!FileManager.default.fileExists(atPath: killed + "/.checkpoint.bin.999.tmp"), "a killed writer's temporary file is removed")
        // Only as the same run: another configuration in that directory is refused.
        var other = Self.configuration
        other.learningRate = 0.01
        #expect(throws: TrainingError.self) { try RunSession.run(other, data: Self.digits, in: directory) }
    }

    @Test func aSecondWriterIsRefused() throws {
        let path = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = RunDirectory(path: path)
        try directory.create()
        do {
            let held = try directory.lock()
            #expect {
                try RunSession.run(Self.configuration, data: Self.digits, in: directory)
            } throws: { error in
                "\(error)".contains("another credit process (pid \(ProcessInfo.processInfo.processIdentifier))")
            }
            withExtendedLifetime(held) {}
        }
        // Released with its holder.
        _ = try directory.lock()
    }

    @Test func fewerEpochsThanFinishedAreRefused() throws {
        let path = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try RunSession.run(Self.configuration, data: Self.digits, in: RunDirectory(path: path))
        var fewer = Self.configuration
        fewer.epochs = 2
        #expect {
            try RunSession.run(fewer, data: Self.digits, in: RunDirectory(path: path))
        } throws: { error in
            (error as? ConfigurationError)?.field == "epochs"
        }
    }

    @Test func defaultNamesNeverCollide() throws {
        let base = Self.folder() + "/run"
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: base).deletingLastPathComponent().path) }
        let names = try (0..<3).map { _ in try RunDirectory.createUnique(base: base).path }
        #expect(names == [base, base + "-2", base + "-3"])
    }

    @Test func configRecordsTheBLASThreads() throws {
        let path = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var one = Self.configuration
        one.epochs = 1
        try RunSession.run(one, data: Self.digits, in: RunDirectory(path: path))
        let config = try String(contentsOfFile: path + "/config.json", encoding: .utf8)
        #expect(config.contains("\"threads\" : \(LinearAlgebraBackend.shared.threads ?? 0)") || LinearAlgebraBackend.shared.threads == nil, "\(config)")
    }
}
