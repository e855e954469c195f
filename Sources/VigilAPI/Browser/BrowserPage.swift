import Crypto
import Foundation
import Hummingbird

/// A page of Vigil's own HTML: no external assets, one inline style and at most one inline script, both allowed by
/// their SHA-256 in a strict Content-Security-Policy (nothing else may load, run, frame the page or take its forms
/// elsewhere). Every value put into `body` must already be escaped (`HTMLText`).
struct BrowserPage {
    var title: String
    var body: String
    var script: String?

    /// The one style sheet of every page.
    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1d2430;background:#fbfbfc}
        header{display:flex;gap:1em;align-items:center;padding:.6em 1em;background:#1d2430;color:#fff}
        header h1{font-size:16px;margin:0;flex:1}header form{margin:0}
        main{padding:1em}form.filters{display:flex;gap:.5em;flex-wrap:wrap;align-items:center;margin-bottom:.6em}
        input,select,button{font:inherit;padding:.25em .5em}
        table{border-collapse:collapse;width:100%;font:12px/1.35 ui-monospace,monospace}
        td{padding:1px 6px;vertical-align:top;border-bottom:1px solid #eceef2}
        td.msg{white-space:pre-wrap;word-break:break-all}td.ts,td.src,td.lvl{white-space:nowrap;color:#5b6474}
        tr.level-ERROR td.msg,tr.level-FATAL td.msg{color:#b3261e}tr.level-WARN td.msg{color:#8a5a00}tr.stderr td.src{color:#b3261e}
        .esc{color:#fff;background:#8a5a00;border-radius:2px;padding:0 2px}
        #status{color:#5b6474;margin:.3em 0}.error{color:#b3261e}
        .box{max-width:28em;margin:4em auto;padding:1.5em;background:#fff;border:1px solid #dde1e7;border-radius:6px}
        .box input{width:100%;box-sizing:border-box;margin:.4em 0 .8em}
        """

    static func hash(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString() + "'"
    }

    static let styleHash = hash(style)

    var contentSecurityPolicy: String {
        let scripts = script.map { Self.hash($0) } ?? "'none'"
        return "default-src 'none'; style-src \(Self.styleHash); script-src \(scripts); connect-src 'self'; img-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func response(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>" + HTMLText.escape(title) + "</title>"
        html += "<style>" + Self.style + "</style></head><body>" + body
        if let script { html += "<script>" + script + "</script>" }
        html += "</body></html>\n"
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
