/** Hash routes, so the static build works under /ui without server-side fallbacks. */

import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "upload" }
  | { page: "jobs" }
  | { page: "job"; id: string }
  | { page: "presets" }
  | { page: "preset"; name: string }
  | { page: "new-preset" }
  | { page: "key" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case "jobs":
      return parts[1] ? { page: "job", id: parts[1] } : { page: "jobs" };
    case "presets":
      if (parts[1] === "new") return { page: "new-preset" };
      return parts[1] ? { page: "preset", name: parts[1] } : { page: "presets" };
    case "key":
      return { page: "key" };
    default:
      return { page: "upload" };
  }
}

export const href = {
  upload: "#/",
  jobs: "#/jobs",
  job: (id: string) => `#/jobs/${encodeURIComponent(id)}`,
  presets: "#/presets",
  preset: (name: string) => `#/presets/${encodeURIComponent(name)}`,
  newPreset: "#/presets/new",
  key: "#/key",
};

export function navigate(to: string): void {
  location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
