import Foundation
import GatehouseSandbox

/// An npm registry on the loopback interface serving the `npm pack` tarballs of a directory
/// (`<name>-1.0.0.tgz`, version 1.0.0 only), made by the test: no real registry is reachable
/// here. A package whose source directory holds an `npm-shrinkwrap.json` is announced with
/// `_hasShrinkwrap`, as the public registry does, so npm reads that file when it installs it.
final class FakeRegistry {
    let url: String
    private let process: Process

    static let script = """
        const http = require('http'), fs = require('fs'), crypto = require('crypto');
        const dir = process.argv[2];
        const server = http.createServer((req, res) => {
          const name = decodeURIComponent(req.url.slice(1));
          const file = `${dir}/${name.endsWith('.tgz') ? name : name + '-1.0.0.tgz'}`;
          if (!fs.existsSync(file)) { res.statusCode = 404; return res.end('{}'); }
          const tarball = fs.readFileSync(file);
          if (name.endsWith('.tgz')) return res.end(tarball);
          const integrity = 'sha512-' + crypto.createHash('sha512').update(tarball).digest('base64');
          const manifest = JSON.parse(fs.readFileSync(`${dir}/${name}/package.json`, 'utf8'));
          Object.assign(manifest, {
            _hasShrinkwrap: fs.existsSync(`${dir}/${name}/npm-shrinkwrap.json`),
            dist: { tarball: `http://127.0.0.1:${server.address().port}/${name}-1.0.0.tgz`, integrity },
          });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ name, 'dist-tags': { latest: '1.0.0' }, versions: { '1.0.0': manifest } }));
        });
        server.listen(0, '127.0.0.1', () => console.log(server.address().port));
        """

    /// Starts serving `directory`; stop with `stop()`.
    init(serving directory: URL) throws {
        let script = directory.appendingPathComponent("registry.js")
        try Self.script.write(to: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SandboxConfiguration(workers: 1).nodeBinary)
        process.arguments = [script.path, directory.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestFailure("the fake registry did not start") }
            line.append(chunk)
        }
        let port = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        self.url = "http://127.0.0.1:\(port)/"
        self.process = process
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
