// The framework floor, JavaScript: a Worker that answers a static JSON and does nothing else.
// `make bench` measures it beside the workers-rs floor (benches/floor/rust) under the same
// wrangler dev settings, so the table shows how much of a gap is the framework itself.
const body = '{"keys":[]}';
export default {
  fetch() {
    return new Response(body, { headers: { 'Content-Type': 'application/json' } });
  },
};
