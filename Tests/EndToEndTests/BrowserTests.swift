import Foundation
import NIOHTTP1
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// Browser sign-in, sessions and the `/logz` page against a live server (scripts/check-logz-browser drives the same in
/// headless Chromium).
@Suite("Browser sessions and /logz")
struct BrowserTests {
    /// The value of cookie `name` in a response's Set-Cookie headers, with its attributes.
    static func setCookie(_ reply: HTTPExchange, _ name: String) -> (value: String, attributes: String)? {
        for header in reply.headers[canonicalForm: "Set-Cookie"] where header.hasPrefix(name + "=") {
            let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
            return (String(value), String(header.dropFirst(name.count + 1 + value.count)))
        }
        return nil
    }

    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&").utf8)
    }

    /// Signs in with `token` as a browser does (the form's CSRF cookie and field); returns the session cookie's value.
    static func signIn(_ server: LiveServer, token: String, next: String? = nil) async throws -> String {
        let page = try await server.request(.GET, "/login", token: .none)
        let csrf = try #require(setCookie(page, "vigil_login_csrf")?.value)
        let reply = try await server.request(
            .POST, "/login", body: form([("token", token), ("csrf", csrf)] + (next.map { [("next", $0)] } ?? [])),
            contentType: "application/x-www-form-urlencoded", token: .none, headers: [("Cookie", "vigil_login_csrf=\(csrf)")])
        #expect(reply.status == 303, "\(reply.text)")
        return try #require(setCookie(reply, "vigil_session")?.value)
    }

    static func browse(_ server: LiveServer, _ path: String, cookie: String) async throws -> HTTPExchange {
        try await server.request(.GET, path, token: .none, headers: [("Cookie", "vigil_session=\(cookie)")])
    }

    @Test("the sign-in page is strict: its own CSP (no inline code but its hashed style), a CSRF cookie, no-store")
    func loginPage() async throws {
        try await LiveServer.run { server in
            let page = try await server.request(.GET, "/login?next=/apps/shop/logz", token: .none)
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(csp.hasPrefix("default-src 'none'; style-src 'sha256-") && csp.contains("script-src 'none'") && csp.contains("frame-ancestors 'none'"))
            #expect(page.headers.first(name: "Cache-Control") == "no-store")
            let csrf = try #require(Self.setCookie(page, "vigil_login_csrf"))
            #expect(csrf.attributes.contains("HttpOnly") && csrf.attributes.contains("SameSite=Strict") && !csrf.attributes.contains("Secure"))
            #expect(page.text.contains(#"name="csrf" value="\#(csrf.value)""#))
            #expect(page.text.contains(#"name="next" value="/apps/shop/logz""#))
            // Another site's address is never a place to go after signing in.
            for next in ["//evil.example/x", "https://evil.example", "/\\evil.example", "/a b"] {
                let other = try await server.request(.GET, "/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")", token: .none)
                #expect(!other.text.contains(#"name="next""#), "\(next)")
            }
        }
    }

    @Test("signing in sets an HttpOnly, SameSite=Strict session cookie and goes where it was asked; it is audited")
    func signIn() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let page = try await server.request(.GET, "/login", token: .none)
            let csrf = try #require(Self.setCookie(page, "vigil_login_csrf")?.value)
            let reply = try await server.request(
                .POST, "/login", body: Self.form([("token", server.adminToken), ("csrf", csrf), ("next", "/apps/shop/logz?search=x")]),
                contentType: "application/x-www-form-urlencoded", token: .none, headers: [("Cookie", "vigil_login_csrf=\(csrf)")])
            #expect(reply.status == 303)
            #expect(reply.headers.first(name: "Location") == "/apps/shop/logz?search=x")
            let session = try #require(Self.setCookie(reply, "vigil_session"))
            #expect(session.value.count == 64)
            #expect(session.attributes.contains("HttpOnly") && session.attributes.contains("SameSite=Strict") && session.attributes.contains("Path=/"))
            #expect(session.attributes.contains("Max-Age="))
            #expect(try await Self.browse(server, "/apps/shop/logz", cookie: session.value).status == 200)
            // The signed-in page names the user and offers sign-out.
            let again = try await server.request(.GET, "/login", token: .none, headers: [("Cookie", "vigil_session=\(session.value)")])
            #expect(again.text.contains("Signed in as <strong>admin</strong>"))
            let audit = try await server.request(.GET, "/api/2.0/audit/events?action_name=login").json()
            guard case .array(let rows)? = audit["events"] else { Issue.record("\(audit)"); return }
            #expect(rows.first?["user_identity"]?["email"] == .string("admin"))
            #expect(rows.first?["request_params"]?["authenticationMethod"] == .string("BROWSER_TOKEN"))
            #expect(!JSONWriter.text(of: rows.first ?? .null).contains(server.adminToken))
        }
    }

    @Test("sign-in refuses a bad token (401), a missing or wrong CSRF token (403) and a body that is not a form (415)")
    func signInRefusals() async throws {
        try await LiveServer.run { server in
            let page = try await server.request(.GET, "/login", token: .none)
            let csrf = try #require(Self.setCookie(page, "vigil_login_csrf")?.value)
            let cookie = [("Cookie", "vigil_login_csrf=\(csrf)")]
            let formType = "application/x-www-form-urlencoded"
            let bad = try await server.request(.POST, "/login", body: Self.form([("token", "dapi123"), ("csrf", csrf)]), contentType: formType,
                                               token: .none, headers: cookie)
            #expect(bad.status == 401 && bad.text.contains("not valid") && Self.setCookie(bad, "vigil_session") == nil)
            let noCookie = try await server.request(.POST, "/login", body: Self.form([("token", server.adminToken), ("csrf", csrf)]), contentType: formType,
                                                    token: .none)
            #expect(noCookie.status == 403 && Self.setCookie(noCookie, "vigil_session") == nil)
            let wrong = try await server.request(.POST, "/login", body: Self.form([("token", server.adminToken), ("csrf", String(csrf.dropLast()) + (csrf.hasSuffix("a") ? "b" : "a"))]),
                                                 contentType: formType, token: .none, headers: cookie)
            #expect(wrong.status == 403)
            #expect(try await server.request(.POST, "/login", json: #"{"token":"x"}"#, token: .none).status == 415)
            let audit = try await server.request(.GET, "/api/2.0/audit/events?action_name=login").json()
            guard case .array(let rows)? = audit["events"] else { Issue.record("\(audit)"); return }
            #expect(rows.compactMap { $0["response"]?["status_code"].map(JSONWriter.text(of:)) }.sorted() == ["401", "403", "403", "415"])
        }
    }

    @Test("a session opens browser pages only: API routes still want a bearer token")
    func sessionScope() async throws {
        try await LiveServer.run { server in
            let cookie = try await Self.signIn(server, token: server.adminToken)
            #expect(try await Self.browse(server, "/api/2.0/apps", cookie: cookie).status == 401)
            #expect(try await server.request(.POST, "/api/2.0/apps", json: #"{"name":"x"}"#, token: .none,
                                             ).status == 401)
        }
    }

    @Test("sign-out needs the session's CSRF token, ends the session, and a page then sends the browser to sign in")
    func signOut() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let cookie = try await Self.signIn(server, token: server.adminToken)
            let page = try await Self.browse(server, "/apps/shop/logz", cookie: cookie)
            let csrf = try #require(page.text.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression).map {
                String(page.text[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
            })
            let headers = [("Cookie", "vigil_session=\(cookie)")]
            let forged = try await server.request(.POST, "/logout", body: Self.form([("csrf", "nope")]), contentType: "application/x-www-form-urlencoded",
                                                  token: .none, headers: headers)
            #expect(forged.status == 403)
            let out = try await server.request(.POST, "/logout", body: Self.form([("csrf", csrf)]), contentType: "application/x-www-form-urlencoded",
                                               token: .none, headers: headers)
            #expect(out.status == 303 && out.headers.first(name: "Location") == "/login")
            #expect(Self.setCookie(out, "vigil_session")?.attributes.contains("Max-Age=0") == true)
            let after = try await Self.browse(server, "/apps/shop/logz", cookie: cookie)
            #expect(after.status == 303 && after.headers.first(name: "Location") == "/login?next=/apps/shop/logz")
            // With a bearer token there is no session to end.
            #expect(try await server.request(.POST, "/logout", body: Self.form([("csrf", csrf)]), contentType: "application/x-www-form-urlencoded").status == 400)
        }
    }

    @Test("revoking the token ends the sessions made from it")
    func revokedToken() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let created = try await server.request(.POST, "/api/2.0/token/create", json: #"{"comment":"browser"}"#).json()
            guard case .string(let token)? = created["token_value"], case .string(let id)? = created["token_info"]?["token_id"] else {
                Issue.record("\(created)"); return
            }
            let cookie = try await Self.signIn(server, token: token)
            #expect(try await Self.browse(server, "/apps/shop/logz", cookie: cookie).status == 200)
            #expect(try await server.request(.POST, "/api/2.0/token/delete", json: #"{"token_id":"\#(id)"}"#).status == 200)
            let after = try await Self.browse(server, "/apps/shop/logz", cookie: cookie)
            #expect(after.status == 303)
        }
    }

    @Test("/logz shows the newest lines with every value escaped: HTML, ANSI, bidi and NUL are inert text")
    func hostileLines() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppLogsTests.push(server, "shop", """
                {"message":"<script>alert(1)</script>"}
                {"message":"<img src=x onerror=alert(2)>","level":"error\\" onclick=\\"x"}
                {"message":"\\u001b[31mred\\u001b[0m"}
                {"message":"abc\\u202edef\\u2066x\\u200b"}
                {"message":"a\\u0000b"}
                {"message":"\\"quoted\\" & 'single'"}
                """)
            let cookie = try await Self.signIn(server, token: server.adminToken)
            let page = try await Self.browse(server, "/apps/shop/logz", cookie: cookie)
            #expect(page.status == 200)
            let html = page.text
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("&lt;img src=x onerror=alert(2)&gt;"))
            #expect(!html.contains("<img") && html.components(separatedBy: "<script").count == 2)  // the page's own script only
            #expect(html.contains(#"<span class="esc">\x1B</span>[31mred<span class="esc">\x1B</span>[0m"#))
            #expect(html.contains(#"abc<span class="esc">\u{202E}</span>def<span class="esc">\u{2066}</span>x<span class="esc">\u{200B}</span>"#))
            #expect(html.contains("a\u{FFFD}b"))
            #expect(html.contains("&quot;quoted&quot; &amp; &#39;single&#39;"))
            #expect(!html.contains("\u{1B}") && !html.contains("\u{202E}") && !html.contains("\u{0}"))
            #expect(html.contains(#"class="level-ERROR&quot; ONCLICK=&quot;X""#) || !html.contains("onclick=\""))
            // The page's inline script and style are exactly what its CSP allows, and nothing else.
            let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
            let script = try #require(html.range(of: "<script>")).upperBound
            let scriptEnd = try #require(html.range(of: "</script>")).lowerBound
            #expect(csp.contains(Self.sha256(String(html[script..<scriptEnd]))), "\(csp)")
            #expect(csp.contains("connect-src 'self'") && csp.contains("default-src 'none'"))
        }
    }

    @Test("/logz filters by search, source and level; empty form fields mean all")
    func filters() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            _ = try await AppLogsTests.push(server, "shop", """
                {"message":"checkout ok"}
                {"message":"checkout failed","level":"error"}
                {"message":"started","source":"SYSTEM"}
                """)
            let cookie = try await Self.signIn(server, token: server.adminToken)
            func rows(_ query: String) async throws -> Int {
                let page = try await Self.browse(server, "/apps/shop/logz?\(query)", cookie: cookie)
                #expect(page.status == 200, "\(query): \(page.text)")
                return page.text.components(separatedBy: "<tr class=").count - 1
            }
            #expect(try await rows("search=&source=&level=") == 3)
            #expect(try await rows("search=CHECKOUT&source=&level=") == 2)
            #expect(try await rows("search=&source=SYSTEM&level=") == 1)
            #expect(try await rows("search=checkout&source=&level=ERROR") == 1)
            #expect(try await Self.browse(server, "/apps/shop/logz?source=KERNEL", cookie: cookie).status == 400)
        }
    }

    @Test("/logz needs CAN_USE on the app, by cookie or by bearer token")
    func logzAccess() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            guard case .value(let plain)? = roles.tokens["plain user"] else { return }
            let cookie = try await Self.signIn(server, token: plain)
            #expect(try await Self.browse(server, "/apps/shop/logz", cookie: cookie).status == 403)
            #expect(try await server.request(.GET, "/apps/shop/logz", token: .value(plain)).status == 403)
            #expect(try await server.request(.GET, "/apps/shop/logz").status == 200)
            _ = try await server.request(.PATCH, "/api/2.0/permissions/apps/shop", json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"CAN_USE"}]}"#)
            #expect(try await Self.browse(server, "/apps/shop/logz", cookie: cookie).status == 200)
        }
    }

    static func sha256(_ text: String) -> String {
        BrowserHashes.sha256(text)
    }
}
