import Testing
import VigilAlerts
import VigilCore
@testable import VigilAPI

/// What the browser pages do with text they did not write: log lines shown inert, form fields decoded as browsers
/// encode them, a `next` address kept on this server, secrets compared without an early exit, app URLs made from the
/// public base.
@Suite("Browser text")
struct BrowserTextTests {
    @Test("escape makes markup and both quote kinds text, leaving everything else as it is")
    func escape() {
        #expect(HTMLText.escape(#"<a href="x" onclick='y'>&amp;</a>"#) == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;")
        #expect(HTMLText.escape("plain, ü, 日本, tab\there") == "plain, ü, 日本, tab\there")
    }

    @Test("inert shows control, ANSI, bidi and zero-width characters as marks and escapes the rest", arguments: [
        ("\u{1B}[31mred", #"<span class="esc">\x1B</span>[31mred"#),
        ("a\u{0}b", #"a<span class="esc">\x00</span>b"#),
        ("bell\u{7}", #"bell<span class="esc">\x07</span>"#),
        ("c1\u{9B}", #"c1<span class="esc">\x9B</span>"#),
        ("\u{202E}txt.exe", #"<span class="esc">\u{202E}</span>txt.exe"#),
        ("iso\u{2066}late", #"iso<span class="esc">\u{2066}</span>late"#),
        ("zero\u{200B}width", #"zero<span class="esc">\u{200B}</span>width"#),
        ("\u{FEFF}bom", #"<span class="esc">\u{FEFF}</span>bom"#),
        ("line\u{2028}sep", #"line<span class="esc">\u{2028}</span>sep"#),
        ("cr\rlf\n", #"cr<span class="esc">\x0D</span>lf<span class="esc">\x0A</span>"#),
        ("<script>", "&lt;script&gt;"),
        ("tab\tkept", "tab\tkept"),
    ])
    func inert(input: String, shown: String) {
        #expect(HTMLText.inert(input) == shown)
    }

    @Test("form fields decode + as a space and percent escapes; the first of a repeated field wins; a bare key is empty")
    func formFields() {
        let fields = FormBody.parse("token=dapi%2Babc+def&next=%2Fapps%2Fshop%2Flogz&token=second&flag&bad=%ZZ")
        #expect(fields["token"] == "dapi+abc def")
        #expect(fields["next"] == "/apps/shop/logz")
        #expect(fields["flag"] == "")
        #expect(fields["bad"] == "%ZZ")
        #expect(FormBody.parse("").isEmpty)
    }

    @Test("after sign-in only a path of this server is followed", arguments: [
        ("/apps/shop/logz?search=a%20b", "/apps/shop/logz?search=a%20b"),
        ("//evil.example/x", nil), ("https://evil.example/", nil), ("/\\evil.example", nil), ("apps/shop", nil),
        ("/apps/shop logz", nil), ("/apps/\u{7F}", nil), ("/é", nil), ("", nil),
    ] as [(String, String?)])
    func safeNext(next: String, kept: String?) {
        #expect(LoginController.safeNext(next) == kept)
    }

    @Test("a next address past 2 KiB is dropped rather than carried")
    func longNext() {
        #expect(LoginController.safeNext("/" + String(repeating: "a", count: 2048)) == nil)
        #expect(LoginController.safeNext("/" + String(repeating: "a", count: 2047)) != nil)
    }

    @Test("a page asked for without credentials goes to /login with where it was, percent-encoded")
    func redirectToLogin() {
        let response = LoginController.redirectToLogin(path: "/apps/shop/logz", query: "search=a&level=ERROR")
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/login?next=/apps/shop/logz%3Fsearch%3Da%26level%3DERROR")
        #expect(LoginController.redirectToLogin(path: "//evil.example", query: nil).headers[.location] == "/login")
    }

    @Test("secrets compare equal only when every byte is", arguments: [
        ("abc", "abc", true), ("abc", "abd", false), ("abc", "ab", false), ("", "", true), ("a", "", false),
    ])
    func constantTime(lhs: String, rhs: String, equal: Bool) {
        #expect(ConstantTime.equals(lhs, rhs) == equal)
    }

    @Test("app URLs come from --public-url as given (without a trailing slash), else from where the server listens")
    func publicURL() {
        let configured = PublicURL(configured: "https://vigil.example.com/")
        configured.listening(scheme: "http", host: "0.0.0.0", port: 8080)
        #expect(configured.appURL("shop") == "https://vigil.example.com/apps/shop")
        let derived = PublicURL(configured: nil)
        derived.listening(scheme: "https", host: "::1", port: 8443)
        #expect(derived.appURL("shop") == "https://[::1]:8443/apps/shop")
    }
}

/// Prometheus label values from user input (cluster names, mount points) cannot break the exposition.
@Suite struct PrometheusLabelEscapeTests {
    @Test func labelValuesAreEscapedScalarByScalar() {
        #expect(PrometheusText.escape("a\"\u{301}b") == "a\\\"\u{301}b", "a quote joined with a combining mark is still escaped")
        #expect(PrometheusText.escape("x\r\ny") == "x\u{FFFD}\\ny")
        #expect(PrometheusText.escape("back\\slash") == "back\\\\slash")
        #expect(PrometheusText.escape("bell\u{7}") == "bell\u{FFFD}")
    }
}

/// An agent's report, read without a server.
@Suite struct HeartbeatReportTests {
    func parse(_ text: String) throws -> HeartbeatController.Report {
        try HeartbeatController.parse(try JSONParser.parse(Array(text.utf8)))
    }

    @Test func aReportAndItsDefaults() throws {
        let report = try parse(#"{"cluster_id":"c-1","instance_id":"i","interval_seconds":2.5,"node_timeline":[{},{}]}"#)
        #expect(report.heartbeat.intervalMillis == 2_500 && !report.heartbeat.driver && !report.heartbeat.leaving)
        #expect(report.rows.count == 2 && report.clusterName == nil && report.numWorkers == nil)
        let full = try parse(#"{"cluster_id":"c","instance_id":"i","interval_seconds":60,"driver":true,"leaving":true,"cluster_name":"Edge","num_workers":3,"host":"h","node_type":"m5"}"#)
        #expect(full.heartbeat.driver && full.heartbeat.leaving && full.clusterName == "Edge" && full.numWorkers == 3)
        #expect(full.heartbeat.host == "h" && full.heartbeat.nodeType == "m5")
    }

    @Test func refusalsNameTheField() {
        for (body, fragment) in [
            (#"{"cluster_id":"c","instance_id":"i","interval_seconds":3601}"#, "interval_seconds"),
            (#"{"cluster_id":"c","instance_id":"i","interval_seconds":10,"driver":"yes"}"#, "driver must be true or false"),
            (#"{"cluster_id":"c","instance_id":"i\u0007","interval_seconds":10}"#, "instance_id"),
            (#"{"cluster_id":"c","instance_id":"i","interval_seconds":10,"num_workers":-1}"#, "num_workers"),
            (#"{"cluster_id":"c","instance_id":"i","interval_seconds":10,"node_timeline":{}}"#, "node_timeline must be an array"),
            (#"[]"#, "JSON object"),
        ] {
            do {
                _ = try parse(body)
                Issue.record("\(body) was accepted")
            } catch let error as VigilError {
                #expect(error.message.contains(fragment), "\(body): \(error.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
