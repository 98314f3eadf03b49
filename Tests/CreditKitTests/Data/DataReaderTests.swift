import Foundation
import Testing
@testable import CreditKit

@Suite("Reading datasets")
struct DataReaderTests {
    func fixture(_ name: String) -> String { fixtures + "/" + name }

    @Test func idxFilesAreReadFromGzip() throws {
        let images = try IDXReader.read(fixture("tiny-images.idx3.gz"))
        #expect(images.dimensions == [3, 2, 2])
        #expect(images.bytes == [0, 255, 128, 64, 1, 2, 3, 4, 255, 0, 0, 255])
        let labels = try IDXReader.read(fixture("tiny-labels.idx1.gz"))
        #expect(labels.dimensions == [3])
        #expect(labels.bytes == [7, 0, 9])
    }

    /// Each corrupt file is rejected with the documented error, naming the file and the problem.
    @Test(arguments: [
        ("truncated-images.idx3.gz", "corrupt gzip data: truncated"),
        ("bad-crc-images.idx3.gz", "corrupt gzip data: incorrect data check"),
        ("not-gzip.gz", "corrupt gzip data: expected the gzip magic number"),
        ("short-payload-images.idx3.gz", "not a valid IDX file: truncated: header 3×2×2 announces 12 bytes of data, found 9"),
        ("wrong-type-images.idx3.gz", "not a valid IDX file: expected element type 0x08 (unsigned byte), found 0xd"),
    ])
    func corruptFilesAreRejected(_ file: String, _ message: String) {
        let path = fixture(file)
        #expect {
            try IDXReader.read(path)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(path + ": ") && text.contains(message)
        }
    }

    @Test func idxWithTrailingBytesIsRejected() {
        let bytes: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 5, 6, 7]
        #expect(throws: DataError.malformedIDX(file: "x", reason: "trailing data: header 2 announces 2 bytes of data, found 3")) {
            try IDXReader.parse(bytes, file: "x")
        }
    }

    @Test func mnistLayoutFoldersLoadAndMismatchesAreCaught() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-idx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for part in ["train", "t10k"] {
            try FileManager.default.copyItem(atPath: fixture("tiny-images.idx3.gz"), toPath: "\(folder)/\(part)-images-idx3-ubyte.gz")
            try FileManager.default.copyItem(atPath: fixture("tiny-labels.idx1.gz"), toPath: "\(folder)/\(part)-labels-idx1-ubyte.gz")
        }
        let split = try DatasetCatalog.idxImages(folder: folder, name: "tiny")
        #expect(split.train.count == 3 && split.train.featureCount == 4 && split.test.count == 3)
        var input = Matrix(rows: 2, columns: 4), target = Matrix(rows: 2, columns: 10)
        split.train.fillBatch([2, 0][...], input: &input, target: &target)
        #expect(input.elements == [1, 0, 0, 1, 0, 1, 128 / 255, 64 / 255])
        #expect(target[0, 9] == 1 && target[1, 7] == 1 && target.elements.reduce(0, +) == 2)

        // Labels for a different number of images.
        let labels = "\(folder)/t10k-labels-idx1-ubyte.gz"
        try FileManager.default.removeItem(atPath: labels)
        try FileManager.default.copyItem(atPath: fixture("two-labels.idx1.gz"), toPath: labels)
        #expect(throws: DataError.inconsistent(file: labels, reason: "holds 2 labels for 3 images in t10k-images-idx3-ubyte.gz")) {
            try DatasetCatalog.idxImages(folder: folder, name: "tiny")
        }
    }

    @Test func csvTablesParseWithHeaderAndWhitespace() throws {
        let table = try CSVReader.read(fixture("good.csv"))
        #expect(table.header == ["a", "b", "c"])
        #expect(table.matrix.rows == 2 && table.matrix.columns == 3)
        #expect(table.matrix.elements == [1, 2, 3, 4.5, -6, 0.7])
        let spaced = try CSVReader.read(fixture("whitespace.txt"))
        #expect(spaced.matrix.elements == [1, 2, 3, 4, 5, 6])
    }

    @Test func csvErrorsNameLineAndField() {
        #expect(throws: DataError.malformedCSV(file: fixture("bad-field.csv"), line: 3, field: 2, reason: "expected a number, found 'x8'")) {
            try CSVReader.read(fixture("bad-field.csv"))
        }
        #expect(throws: DataError.malformedCSV(file: fixture("ragged.csv"), line: 2, field: nil,
                                               reason: "expected 3 fields (as on the first row), found 2")) {
            try CSVReader.read(fixture("ragged.csv"))
        }
        #expect("\(DataError.malformedCSV(file: "f.csv", line: 3, field: 2, reason: "r"))" == "f.csv:3: field 2: r")
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hexDigest(of: twoBlocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var incremental = SHA256()
        for chunk in stride(from: 0, to: twoBlocks.count, by: 7) { incremental.update(Array(twoBlocks[chunk..<min(chunk + 7, twoBlocks.count)])) }
        #expect(incremental.finalizeHex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func theBundledDigitsLoadOffline() throws {
        let split = try DatasetCatalog.load(.digits, locator: DataLocator(environment: [:], allowDownload: false))
        #expect(split.train.count == 1347 && split.test.count == 450)
        #expect(split.train.featureCount == 64 && split.train.outputSize == 10)
        var counts = [Int](repeating: 0, count: 10)
        for i in 0..<split.train.count { counts[split.train.label(i)!] += 1 }
        for i in 0..<split.test.count { counts[split.test.label(i)!] += 1 }
        #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])  // the README's class counts
    }

    @Test func anExplicitDataRootIsSearchedAloneAndAMissingSetIsReported() {
        let root = "/nonexistent-creditkit-root"
        let locator = DataLocator(explicitRoot: root, environment: [:])
        #expect(locator.searchRoots == [root])
        #expect(throws: DataError.notFound(dataset: "mnist", searched: [root + "/mnist"])) {
            try DatasetCatalog.load(.mnist, locator: locator)
        }
    }

    @Test func theSearchPathOrderIsEnvironmentSharedThenCache() {
        let locator = DataLocator(environment: ["CREDITKIT_DATA": "/env-root", "HOME": "/home/someone"])
        let roots = locator.searchRoots
        #expect(roots.first == "/env-root")
        #expect(roots.last == "/home/someone/.cache/creditkit")
        // Between them: ../shared/data beside the working directory and beside this checkout
        // (one entry when they are the same folder), and nothing else.
        let shared = Array(roots.dropFirst().dropLast())
        // Compared with symbolic links resolved: `../shared` may be a link, and Foundation resolves
        // links while standardizing a path with `..` in it but not one without.
        let besideCheckout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../../shared/data")
            .resolvingSymlinksInPath().path
        #expect((1...2).contains(shared.count))
        #expect(shared.contains { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == besideCheckout }, "\(shared) \(besideCheckout)")
        #expect(shared.allSatisfy { $0.hasSuffix("/shared/data") })
    }
}
