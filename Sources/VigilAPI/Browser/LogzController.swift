import Hummingbird
import VigilCore
import VigilLogs
import VigilStore

/// `/apps/{name}/logz`: an app's logs in the browser, as Databricks serves them at `<app url>/logz`. The page shows
/// the newest lines (filtered by search, source and level, by a plain GET form that works without script), then its
/// script follows new lines over `/apps/{name}/logz/stream`. Every value is escaped, and control, ANSI and bidi
/// characters of a line are shown as marks, never acted on.
struct LogzController {
    let apps: AppStore
    let store: LogStore

    /// Lines shown when the page loads (the stream's backlog is the same size).
    static let pageLines = 200

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/apps/{name}/logz"), use: page)
        // The stream is served by the WebSocket upgrade (LogStreamSocket); a plain GET lands here.
        router.on(RouteTable.entry(.get, "/apps/{name}/logz/stream")) { _, _ in
            throw VigilError(.invalidParameter, "this is a WebSocket endpoint: connect with Upgrade: websocket (see docs/app-logs.md)")
        }
    }

    @Sendable func page(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["search", "source", "level"])
        let name = try AppsController.name(context)
        guard let app = try await apps.get(name) else { throw AppStore.notFound(name) }
        let filter = try AppLogsController.filter(query)
        let lines = try await store.tail(appKey: app.key, limit: Self.pageLines, filter: filter)
        let principal = try context.requirePrincipal()
        return BrowserPage(title: "\(name) logs · Vigil", body: Self.body(app: app, lines: lines, filter: filter, user: principal.userName, session: context.session),
                           script: LogzScript.source).response()
    }

    static func body(app: AppRecord, lines: [StoredLogLine], filter: LogFilter, user: String, session: BrowserSession?) -> String {
        let name = HTMLText.escape(app.name)
        var html = "<header><h1>" + name + " logs</h1><span>" + HTMLText.escape(user) + "</span>"
        if let session { html += LoginController.signOutForm(session) }
        html += "</header><main>"
        html += "<div id=\"app\" data-stream=\"/apps/" + name + "/logz/stream\" data-search=\"" + HTMLText.escape(filter.search)
            + "\" data-source=\"" + (filter.source?.rawValue ?? "") + "\" data-level=\"" + HTMLText.escape(filter.level ?? "") + "\"></div>"
        html += "<form class=\"filters\" method=\"get\"><input type=\"search\" name=\"search\" placeholder=\"Search messages\" value=\""
            + HTMLText.escape(filter.search) + "\">"
        html += select("source", ["", "APP", "SYSTEM"], chosen: filter.source?.rawValue ?? "", all: "All sources")
        html += select("level", [""] + LogLevel.names, chosen: filter.level ?? "", all: "All levels")
        html += "<button type=\"submit\">Filter</button><label><input type=\"checkbox\" id=\"follow\" checked> Follow</label></form>"
        html += "<p id=\"status\">" + (lines.isEmpty ? "No lines yet." : "Newest \(lines.count) lines.") + "</p>"
        html += "<table><tbody id=\"lines\">"
        for stored in lines { html += row(stored.line) }
        html += "</tbody></table></main>"
        return html
    }

    static func row(_ line: LogLine) -> String {
        let level = line.level ?? ""
        let classes = "level-" + HTMLText.escape(level) + (line.stream == .stderr ? " stderr" : "")
        return "<tr class=\"" + classes + "\"><td class=\"ts\">" + Timestamp.formatRFC3339(millis: line.timestampMillis)
            + "</td><td class=\"src\">" + line.source.rawValue + "</td><td class=\"lvl\">" + HTMLText.escape(level)
            + "</td><td class=\"msg\">" + HTMLText.inert(line.message) + "</td></tr>"
    }

    static func select(_ name: String, _ options: [String], chosen: String, all: String) -> String {
        var html = "<select name=\"" + name + "\">"
        for option in options {
            html += "<option value=\"" + option + "\"" + (option == chosen ? " selected" : "") + ">" + (option.isEmpty ? all : option) + "</option>"
        }
        return html + "</select>"
    }
}

/// The page's script: follows the stream with the page's filters, shows each line as text (control and bidi
/// characters as marks, the same as the server renders them), keeps the newest 5,000 rows, and reconnects unless
/// the server said the session ended (4401) or the app is not the user's (4403).
enum LogzScript {
    static let source = #"""
        (function(){"use strict";
        var app=document.getElementById("app"),rows=document.getElementById("lines"),status=document.getElementById("status"),
        follow=document.getElementById("follow"),MAX=5000,fresh=true;
        function hex(n,w){var s=n.toString(16).toUpperCase();while(s.length<w)s="0"+s;return s;}
        function mark(c){var v=c.codePointAt(0);if(v===9)return null;
        if(v<32||(v>=127&&v<=159))return "\\x"+hex(v,2);
        if((v>=0x202A&&v<=0x202E)||(v>=0x2066&&v<=0x2069)||v===0x200E||v===0x200F||v===0x61C||(v>=0x200B&&v<=0x200D)||v===0x2060||v===0xFEFF||v===0x2028||v===0x2029)return "\\u{"+hex(v,4)+"}";
        return null;}
        function inert(cell,text){var run="";for(var ch of text){var m=mark(ch);if(m===null){run+=ch;continue;}
        if(run){cell.appendChild(document.createTextNode(run));run="";}var s=document.createElement("span");s.className="esc";s.textContent=m;cell.appendChild(s);}
        if(run)cell.appendChild(document.createTextNode(run));}
        function add(line){var tr=document.createElement("tr"),level=typeof line.level==="string"?line.level:"";
        tr.className="level-"+level+(line.stream==="stderr"?" stderr":"");
        var ts=new Date(Number(line.timestamp)*1000),cells=[isNaN(ts)?"":ts.toISOString(),String(line.source||""),level];
        ["ts","src","lvl"].forEach(function(c,i){var td=document.createElement("td");td.className=c;td.textContent=cells[i];tr.appendChild(td);});
        var msg=document.createElement("td");msg.className="msg";inert(msg,String(line.message));tr.appendChild(msg);
        rows.appendChild(tr);while(rows.rows.length>MAX)rows.deleteRow(0);}
        function connect(){var q=["detail=1"];if(app.dataset.source)q.push("source="+encodeURIComponent(app.dataset.source));
        if(app.dataset.level)q.push("level="+encodeURIComponent(app.dataset.level));
        var ws=new WebSocket((location.protocol==="https:"?"wss:":"ws:")+"//"+location.host+app.dataset.stream+"?"+q.join("&"));
        ws.onopen=function(){ws.send(app.dataset.search||"");status.textContent="Following new lines.";};
        ws.onmessage=function(event){if(event.data==="\u0000")return;var line;try{line=JSON.parse(event.data);}catch(e){return;}
        if(fresh){rows.textContent="";fresh=false;}add(line);if(follow.checked)window.scrollTo(0,document.body.scrollHeight);};
        ws.onclose=function(event){if(event.code===4401){status.textContent="The session has ended: sign in again.";return;}
        if(event.code===4403){status.textContent="You may not follow this app's logs.";return;}
        if(event.code>=4000){status.textContent="The stream was refused ("+event.code+"): "+(event.reason||"");return;}
        status.textContent="Disconnected; reconnecting…";fresh=true;setTimeout(connect,2000);};}
        if(follow.checked)window.scrollTo(0,document.body.scrollHeight);connect();})();
        """#
}
