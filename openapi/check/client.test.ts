// An integrator's TypeScript client of ragchat, generated from the served
// OpenAPI document (openapi-typescript + openapi-fetch) and compiled with
// tsc --strict, used against a real server: REST, documents, conversations,
// and the stream through a proxy that cuts connections, read with the npm
// eventsource package and with @microsoft/fetch-event-source. The Go test
// TestTypeScriptClient starts the server and the proxy and runs this.
import createClient from "openapi-fetch";
import { EventSource } from "eventsource";
import { fetchEventSource, EventStreamContentType } from "@microsoft/fetch-event-source";
import type { components, paths } from "./gen/api.js";

type ChatEvent = components["schemas"]["ChatEvent"];

const base = process.env.RAGCHAT_BASE ?? "";
const proxy = process.env.RAGCHAT_PROXY ?? "";
if (!base || !proxy) throw new Error("RAGCHAT_BASE and RAGCHAT_PROXY must be set");

const client = createClient<paths>({ baseUrl: base });

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

// A stream as read by a client: the answer text and every event id seen.
interface Read {
  text: string;
  ids: string[];
  conversationID: string;
  errors: number;
}

// onEvent applies one event to r; it returns true on the last one.
function onEvent(r: Read, id: string, data: string): boolean {
  const ev = JSON.parse(data) as ChatEvent;
  r.ids.push(id);
  switch (ev.type) {
    case "start":
      r.conversationID = ev.content.conversation_id;
      return false;
    case "token":
      r.text += ev.content; // narrowed: a token's content is a string
      return false;
    case "error":
      throw new Error(`run failed: ${ev.content.code}: ${ev.content.message}`);
    case "done":
      return true;
    default:
      return false;
  }
}

function readWithEventSource(question: string): Promise<Read> {
  const r: Read = { text: "", ids: [], conversationID: "", errors: 0 };
  return new Promise((resolve, reject) => {
    const es = new EventSource(`${proxy}/api/v1/chat/stream?message=${encodeURIComponent(question)}`);
    const timer = setTimeout(() => {
      es.close();
      reject(new Error(`eventsource: no done within 30 s (${r.ids.length} events)`));
    }, 30_000);
    es.onmessage = (m) => {
      try {
        if (onEvent(r, m.lastEventId, m.data)) {
          es.close();
          clearTimeout(timer);
          resolve(r);
        }
      } catch (err) {
        es.close();
        clearTimeout(timer);
        reject(err);
      }
    };
    es.onerror = () => {
      r.errors++; // a cut: EventSource reconnects with Last-Event-ID by itself
    };
  });
}

class Fatal extends Error {}

async function readWithFetchEventSource(question: string): Promise<Read> {
  // fetch-event-source is written for browsers: it schedules retries on
  // window and listens for the page's visibility on document.
  const g = globalThis as { window?: unknown; document?: unknown };
  g.window ??= globalThis;
  g.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
  const r: Read = { text: "", ids: [], conversationID: "", errors: 0 };
  const ctrl = new AbortController();
  let done = false;
  let closedEarly = 0;
  const timer = setTimeout(() => ctrl.abort(), 30_000);
  await fetchEventSource(`${proxy}/api/v1/chat/stream?message=${encodeURIComponent(question)}`, {
    signal: ctrl.signal,
    openWhenHidden: true,
    async onopen(resp) {
      if (!resp.ok || !resp.headers.get("content-type")?.startsWith(EventStreamContentType)) {
        throw new Fatal(`open: ${resp.status} ${resp.headers.get("content-type")}`);
      }
    },
    onmessage(m) {
      // Unlike EventSource, fetch-event-source also reports blocks without
      // data (the stream's leading retry: line, heartbeat comments).
      if (m.data === "") return;
      if (onEvent(r, m.id, m.data)) {
        done = true;
        ctrl.abort();
      }
    },
    onclose() {
      // A clean end of the body before done would mean a cut stream
      // looked finished: the failure this test exists for.
      if (!done) {
        closedEarly++;
        throw new Error("closed before done");
      }
    },
    onerror(err) {
      if (err instanceof Fatal) throw err;
      r.errors++;
      if (process.env.RAGCHAT_DEBUG) console.error("fetch-event-source:", err);
      return 50; // retry soon, with Last-Event-ID
    },
  });
  clearTimeout(timer);
  check(done, `fetch-event-source: no done (${r.ids.length} events)`);
  check(closedEarly === 0, `fetch-event-source: a cut stream ended cleanly ${closedEarly} times`);
  return r;
}

// checkStream compares what a client read with the stored answer: no event
// repeated, none missing, the text the same.
async function checkStream(name: string, r: Read): Promise<void> {
  const seqs = r.ids.map((id) => Number(id.split(":")[1]));
  seqs.forEach((seq, i) => check(seq === i + 1, `${name}: event ${i + 1} has seq ${seq}: a gap or a repeat (${r.ids.join(" ")})`));
  check(r.errors > 0, `${name}: the proxy never cut the stream`);
  const conv = await client.GET("/api/v1/conversations/{id}", { params: { path: { id: r.conversationID } } });
  check(conv.data, `${name}: get conversation: ${conv.response.status}`);
  const answer = conv.data.messages[conv.data.messages.length - 1];
  check(answer.role === "assistant" && answer.status === "complete", `${name}: stored answer ${answer.role} ${answer.status}`);
  check(answer.content === r.text, `${name}: streamed text differs from the stored answer:\n${r.text}\n---\n${answer.content}`);
}

// REST.
const chat = await client.POST("/api/v1/chat", { body: { message: "What is Server-Sent Events?" } });
check(chat.data, `chat: ${chat.response.status} ${JSON.stringify(chat.error)}`);
check(chat.data.response.includes("[1]") && chat.data.sources.length > 0, `chat: no cited answer: ${chat.data.response}`);

const bad = await client.POST("/api/v1/chat", { body: { message: "   " } });
check(bad.response.status === 422 && bad.error?.status === 422, `blank question: ${bad.response.status}`);

// The same document twice: 201, then 200 with the same document.
const doc = { title: "TypeScript client", text: "The TypeScript client test adds this text twice." };
const first = await client.POST("/api/v1/documents", { body: doc });
const again = await client.POST("/api/v1/documents", { body: doc });
check(first.response.status === 201 && first.data, `add: ${first.response.status}`);
check(again.response.status === 200 && again.data?.id === first.data.id, `add again: ${again.response.status}`);

// Conversations.
const list = await client.GET("/api/v1/conversations", { params: { query: { limit: 10 } } });
check(list.data?.conversations.some((c) => c.id === chat.data.conversation_id), "the REST conversation is not listed");
const conv = await client.GET("/api/v1/conversations/{id}", { params: { path: { id: chat.data.conversation_id } } });
check(conv.data?.messages.length === 2, `conversation: ${conv.response.status}`);

// Streams through the cutting proxy.
await checkStream("eventsource", await readWithEventSource("What is SSE?"));
await checkStream("fetch-event-source", await readWithFetchEventSource("How does ragchat resume a stream?"));
console.log("typescript client: ok");
