import Foundation
import Testing
@testable import CreditKit

/// Seeded mutations of small, valid files of every format the readers take — bit flips, cut
/// files, inserted and repeated bytes, words set to all ones — each read as a user's file would
/// be: it loads (a mutation can leave a valid file), or it is refused with one printable line
/// that names the file. Nothing may crash, hang or allocate without bound.
@Suite("Fuzzed files")
struct FuzzTests {
    /// The valid originals: a gzip'd IDX image file, the digits CSV (gzip'd), a MAT file with
    /// plain and with compressed elements.
    static var originals: [(name: String, bytes: [UInt8], read: ([UInt8], String) throws -> Void)] {
        let idx = HostileDataTests.gzip(HostileDataTests.idx([3, 2, 2], payload: Array(0..<12)))
        var csv = ""
        for r in 0..<6 { csv += (0..<64).map { String(($0 + r) % 17) }.joined(separator: ",") + ",\(r % 10)\n" }
        let digits = HostileDataTests.gzip(Array(csv.utf8))
        let mat = MATReaderTests.matFile(name: "X_train", rows: 2, columns: 3, columnMajor: [1, 4, 2, 5, 3, 6], compressed: false)
        let compressed = MATReaderTests.matFile(name: "Y_train", rows: 3, columns: 1, columnMajor: [7, 8, 9], compressed: true)
        return [
            ("images.idx3.gz", idx, { bytes, file in _ = try IDXReader.parse(Gzip.decompress(bytes, file: file), file: file) }),
            ("digits.csv.gz", digits, { bytes, file in
                try Data(bytes).write(to: URL(fileURLWithPath: file))
                _ = try DatasetCatalog.digits(at: file, source: "fuzz")
            }),
            ("robot.mat", mat, { bytes, file in _ = try MATReader.parse(bytes, file: file) }),
            ("robot-compressed.mat", compressed, { bytes, file in _ = try MATReader.parse(bytes, file: file) }),
        ]
    }

    static func mutate(_ original: [UInt8], random: inout RandomSource) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + Int(random.next() % 3)) {
            guard !bytes.isEmpty else { break }
            let at = Int(random.next() % UInt64(bytes.count))
            switch random.next() % 6 {
            case 0: bytes[at] ^= UInt8(1 << (random.next() % 8))                       // a bit flip
            case 1: bytes = Array(bytes.prefix(at))                                     // cut
            case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)      // an inserted byte
            case 3: bytes += bytes[at...].prefix(16)                                     // trailing repeat
            case 4: for k in at..<min(at + 4, bytes.count) { bytes[k] = 0xFF }          // a huge word
            default: bytes[at] = UInt8(truncatingIfNeeded: random.next())               // a random byte
            }
        }
        return bytes
    }

    @Test func mutatedFilesLoadOrFailWithOneLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = RandomSource(seed: 2026)
        var refused = 0, accepted = 0
        let start = Date()
        for original in Self.originals {
            for n in 0..<250 {
                let bytes = Self.mutate(original.bytes, random: &random)
                let file = "\(folder)/\(n)-\(original.name)"
                do {
                    try original.read(bytes, file)
                    accepted += 1
                } catch {
                    refused += 1
                    let message = "\(error)"
                    #expect(error is DataError, "\(original.name) #\(n): \(type(of: error)) \(message)")
                    #expect(message.hasPrefix(file), "\(original.name) #\(n): the message does not name the file: \(message)")
                    #expect(!message.contains("\n") && message.count < 400, "\(original.name) #\(n): not one short line: \(message)")
                    #expect(message.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }, "\(original.name) #\(n): \(message)")
                }
            }
        }
        #expect(refused > 600, "\(refused) refused, \(accepted) accepted")
        #expect(Date().timeIntervalSince(start) < 60)
        print("fuzzed: \(refused) refused, \(accepted) accepted")
    }
}
