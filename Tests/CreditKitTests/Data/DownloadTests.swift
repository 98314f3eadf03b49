import Foundation
import Testing
@testable import CreditKit
#if canImport(Glibc)
import Glibc
#endif

/// Downloads from a server on 127.0.0.1, the way a lab's mirror (`CREDITKIT_DATA_MIRROR`) or the
/// canonical source would serve them: a good file is verified and cached; a wrong checksum, a
/// transfer cut mid-way and a 404 each leave nothing in the cache and say what went wrong.
@Suite("Downloads", .serialized)
struct DownloadTests {
    /// A one-thread HTTP/1.0 server: `GET /<path>` answers `routes[path]`, else 404. A route may
    /// announce more bytes than it sends and close early (a cut transfer).
    final class Server: @unchecked Sendable {
        struct Route { var body: [UInt8]; var announced: Int? = nil }
        let port: UInt16
        private let socket: Int32
        private let routes: [String: Route]

        init(routes: [String: Route]) throws {
            self.routes = routes
            let listener = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
            guard bound == 0, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
            socket = listener
            port = UInt16(bigEndian: address.sin_port)
            Thread.detachNewThread { [self] in serve() }
        }

        var base: String { "http://127.0.0.1:\(port)" }

        private func serve() {
            while true {
                let client = accept(socket, nil, nil)
                if client < 0 { return }
                var request = [UInt8]()
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !(request.count >= 4 && Array(request.suffix(4)) == Array("\r\n\r\n".utf8)) {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    request += buffer[0..<n]
                }
                let line = String(decoding: request.prefix { $0 != 0x0D }, as: UTF8.self).split(separator: " ")
                let path = line.count > 1 ? String(line[1]) : "/"
                var response: [UInt8]
                if let route = routes[path] {
                    response = Array("HTTP/1.0 200 OK\r\nContent-Length: \(route.announced ?? route.body.count)\r\n\r\n".utf8) + route.body
                } else {
                    response = Array("HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".utf8)
                }
                _ = response.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }

        /// Ends the serving thread (its `accept` fails once the socket is shut down).
        func stop() {
            shutdown(socket, Int32(SHUT_RDWR))
            close(socket)
        }
    }

    static let content = Array("the data a lab keeps on its mirror\n".utf8)

    static func locator(cache: String, mirror: String? = nil) -> DataLocator {
        var environment = ["XDG_CACHE_HOME": cache, "HOME": cache]
        if let mirror { environment["CREDITKIT_DATA_MIRROR"] = mirror }
        return DataLocator(environment: environment, allowDownload: true)
    }

    static func dataset(url: String, sha256: String = SHA256.hexDigest(of: content)) -> DatasetFiles {
        DatasetFiles(folder: "test-set-\(UUID().uuidString)", files: [RemoteFile(name: "data.bin", sha256: sha256, url: url)])
    }

    static func cacheFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("creditkit-cache-\(UUID().uuidString)").path
    }

    static func files(under path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).filter { !$0.hasSuffix("/") && $0.contains(".") }
    }

    @Test func aGoodFileIsVerifiedAndCachedAndAMirrorReplacesTheSource() throws {
        let cache = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        var set = Self.dataset(url: "http://127.0.0.1:1/nowhere")  // the canonical source is unreachable
        let server = try Server(routes: ["/\(set.folder)/data.bin": .init(body: Self.content)])
        defer { server.stop() }
        let locator = Self.locator(cache: cache, mirror: server.base + "/")
        #expect(locator.sourceURL(of: set.files[0], in: set) == "\(server.base)/\(set.folder)/data.bin")
        let folder = try locator.locate(set)
        #expect(folder == cache + "/creditkit/" + set.folder)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/data.bin"))) == Self.content)
        // Found in the cache the next time, without the server.
        set.files[0].url = "http://127.0.0.1:1/nowhere"
        #expect(try Self.locator(cache: cache).locate(set) == folder)
    }

    @Test func aChecksumMismatchIsRejectedAndLeavesNothing() throws {
        let cache = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let server = try Server(routes: ["/altered": .init(body: Array("something else".utf8))])
        defer { server.stop() }
        let set = Self.dataset(url: server.base + "/altered")
        #expect {
            try Self.locator(cache: cache).locate(set)
        } throws: { error in
            "\(error)".contains("SHA-256 mismatch") && "\(error)".contains(server.base + "/altered")
        }
        #expect(Self.files(under: cache).isEmpty, "\(Self.files(under: cache))")
    }

    @Test func aTransferCutMidWayLeavesNoPartialFile() throws {
        let cache = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let server = try Server(routes: ["/cut": .init(body: Array(Self.content.prefix(10)), announced: Self.content.count)])
        defer { server.stop() }
        #expect(throws: DataError.self) { try Self.locator(cache: cache).locate(Self.dataset(url: server.base + "/cut")) }
        #expect(Self.files(under: cache).isEmpty, "\(Self.files(under: cache))")
    }

    @Test func aMissingFileNamesItsURL() throws {
        let cache = Self.cacheFolder()
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let server = try Server(routes: [:])
        defer { server.stop() }
        #expect {
            try Self.locator(cache: cache).locate(Self.dataset(url: server.base + "/gone.bin"))
        } throws: { error in
            "\(error)".contains(server.base + "/gone.bin") && "\(error)".contains("404")
        }
    }
}
