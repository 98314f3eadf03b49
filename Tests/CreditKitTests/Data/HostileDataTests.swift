import CZlib
import Foundation
import Testing
@testable import CreditKit

/// Files a fuzzer or a broken download produces: each is refused with one printable line naming
/// the file and what was expected, never a crash, an out-of-range read or a huge allocation.
@Suite("Hostile data")
struct HostileDataTests {
    /// `bytes` as a gzip file (RFC 1952), with `isize` in the trailer unless given.
    static func gzip(_ bytes: [UInt8], isize: UInt32? = nil) -> [UInt8] {
        let zlib = Gzip.deflateStream(bytes)  // 2-byte header, raw deflate, 4-byte Adler-32
        let raw = Array(zlib[2..<(zlib.count - 4)])
        let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF] + raw + le(crc) + le(isize ?? UInt32(truncatingIfNeeded: bytes.count))
    }

    static func idx(_ dimensions: [UInt32], payload: [UInt8]) -> [UInt8] {
        [0, 0, 8, UInt8(dimensions.count)] + dimensions.flatMap { d in withUnsafeBytes(of: d.bigEndian) { Array($0) } } + payload
    }

    static func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-hostile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func idxSizesWhoseProductOverflowsAreATruncatedFile() {
        let bytes = Self.idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1, 2, 3])
        #expect {
            try IDXReader.parse(bytes, file: "huge.idx")
        } throws: { error in
            "\(error)".hasPrefix("huge.idx: not a valid IDX file: truncated: header 4294967295×4294967295×4294967295")
        }
    }

    @Test func testImagesOfAnotherSizeThanTheTrainingImagesAreRefused() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func write(_ name: String, _ bytes: [UInt8]) throws { try Data(Self.gzip(bytes)).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        try write("train-images-idx3-ubyte.gz", Self.idx([2, 2, 2], payload: Array(repeating: 7, count: 8)))
        try write("train-labels-idx1-ubyte.gz", Self.idx([2], payload: [1, 2]))
        try write("t10k-images-idx3-ubyte.gz", Self.idx([2, 1, 3], payload: Array(repeating: 7, count: 6)))
        try write("t10k-labels-idx1-ubyte.gz", Self.idx([2], payload: [3, 4]))
        #expect {
            try DatasetCatalog.idxImages(folder: folder, name: "odd")
        } throws: { error in
            "\(error)" == "\(folder)/t10k-images-idx3-ubyte.gz: t10k-images-idx3-ubyte.gz has 3 inputs per example, train-images-idx3-ubyte.gz 4"
        }
    }

    @Test func aTruncatedGzipDoesNotAllocateWhatItsLastBytesSay() throws {
        // The last four bytes of a cut download are whatever was there: here they claim 4 GiB.
        let good = Self.gzip(Array(repeating: 1, count: 100_000))
        var cut = Array(good.prefix(good.count / 2))
        cut += [0xFF, 0xFF, 0xFF, 0xFF]
        let before = Self.peakResidentBytes()
        #expect(throws: DataError.self) { try Gzip.decompress(cut, file: "cut.gz") }
        #expect(Self.peakResidentBytes() - before < 512 << 20, "peak grew by \((Self.peakResidentBytes() - before) >> 20) MiB")
        #expect(try Gzip.decompress(good, file: "good.gz") == Array(repeating: 1, count: 100_000))
        // Concatenated members are one file; each is verified and the result is their concatenation.
        let (a, b) = (Array("first member\n".utf8), Array(repeating: UInt8(7), count: 70_000))
        #expect(try Gzip.decompress(Self.gzip(a) + Self.gzip(b), file: "two.gz") == a + b)
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test func aMATSmallElementRunningPastTheBufferIsRefused() {
        let good = MATReaderTests.matFile(name: "X", rows: 1, columns: 1, columnMajor: [1], compressed: false)
        #expect {
            try MATReader.parse(good + [0x0F, 0x00, 0xFF, 0xFF, 0, 0, 0, 0], file: "tail.mat")
        } throws: { error in
            "\(error)".contains("tail.mat: a small data element at byte") && "\(error)".contains("expected at most 4")
        }
    }

    @Test func aMATVariableNameOfBinaryIsEscapedAndCut() throws {
        let name = String(decoding: [UInt8](repeating: 0x01, count: 200), as: UTF8.self)
        let bytes = MATReaderTests.matFile(name: name, rows: 1, columns: 1, columnMajor: [1], compressed: false)
        let variables = try MATReader.parse(bytes, file: "binary.mat")
        let key = try #require(variables.keys.first)
        #expect(key.hasPrefix("\\x01\\x01") && key.count < 300 && key.hasSuffix("…"))
        #expect(key.dropLast().unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 })
    }

    @Test func nonFiniteRobotDataNamesTheVariableAndTheExample() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/robot.mat"
        let header = Array(MATReaderTests.matFile(name: "A", rows: 1, columns: 1, columnMajor: [0], compressed: false).prefix(128))
        func variable(_ name: String, _ values: [Double]) -> [UInt8] {
            Array(MATReaderTests.matFile(name: name, rows: values.count, columns: 1, columnMajor: values, compressed: false).dropFirst(128))
        }
        try Data(header + variable("X_train", [1, 2]) + variable("Y_train", [1, 2]) + variable("X_test", [1, 2])
                 + variable("Y_test", [3, .nan])).write(to: URL(fileURLWithPath: file))
        #expect {
            try DatasetCatalog.inverseDynamics(file: file, name: "robot")
        } throws: { error in
            "\(error)" == "\(file): X_test/Y_test: target 1 of example 2 is nan; expected finite numbers"
        }
    }

    @Test func emptyPartsAreRefusedNamingThePart() {
        let one = Dataset(name: "a", count: 1, featureCount: 1, features: .floats([1]), targets: .classes([0], classCount: 2))
        let none = Dataset(name: "b", count: 0, featureCount: 1, features: .floats([]), targets: .classes([], classCount: 2))
        #expect(throws: DataError.inconsistent(file: "f", reason: "the test set is empty; expected at least one example")) {
            try DataSplit(train: one, test: none, source: "s").check(file: "f")
        }
        #expect(throws: DataError.inconsistent(file: "f", reason: "the training set is empty; expected at least one example")) {
            try DataSplit(train: none, test: one, source: "s").check(file: "f")
        }
    }

    @Test func aNumberlessFieldInTheFirstLineIsAnErrorNotAHeader() throws {
        let text = Array("1,2,x\n3,4,5\n".utf8)
        #expect(throws: DataError.malformedCSV(file: "d.csv", line: 1, field: 3, reason: "expected a number, found 'x'")) {
            try CSVReader.parse(text, file: "d.csv")
        }
        let table = try? CSVReader.parse(Array("a,b,c\n3,4,5\n".utf8), file: "h.csv")
        #expect(table?.header == ["a", "b", "c"] && table?.matrix.rows == 1)
        #expect(throws: DataError.malformedCSV(file: "b.csv", line: 1, field: 1, reason: "expected a number, found '\\x01\\x02'")) {
            try CSVReader.parse([0x01, 0x02, 0x2C, 0x31, 0x0A], file: "b.csv")
        }
    }
}
