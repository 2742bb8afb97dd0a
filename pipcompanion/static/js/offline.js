// The offline page: who is signed in is not in the page (it is cached for everyone), so it is
// read from the phone's outbox records before the shared scripts start.
const userId = await self.PipOutbox?.currentUser();
if (userId) {
  const meta = Object.assign(document.createElement("meta"), { name: "pip-user", content: userId });
  document.head.append(meta);
}
await import("./app.js");
await import("./moment-form.js");
