import { useEffect, useState } from "preact/hooks";
import { AUTH_REQUIRED_EVENT, getApiKey } from "./api/client";
import { ApiKeyPage } from "./pages/ApiKeyPage";
import { JobPage } from "./pages/JobPage";
import { JobsPage } from "./pages/JobsPage";
import { NewPresetPage } from "./pages/NewPresetPage";
import { PresetPage } from "./pages/PresetPage";
import { PresetsPage } from "./pages/PresetsPage";
import { UploadPage } from "./pages/UploadPage";
import { href, type Route, useRoute } from "./lib/route";

const NAV: { label: string; to: string; pages: Route["page"][] }[] = [
  { label: "New job", to: href.upload, pages: ["upload"] },
  { label: "Jobs", to: href.jobs, pages: ["jobs", "job"] },
  { label: "Presets", to: href.presets, pages: ["presets", "preset", "new-preset"] },
  { label: "API key", to: href.key, pages: ["key"] },
];

export function App() {
  const route = useRoute();
  const [hasKey, setHasKey] = useState(() => Boolean(getApiKey()));
  const [rejected, setRejected] = useState(false);

  useEffect(() => {
    const onAuth = () => setRejected(true);
    window.addEventListener(AUTH_REQUIRED_EVENT, onAuth);
    return () => window.removeEventListener(AUTH_REQUIRED_EVENT, onAuth);
  }, []);

  const onKey = (saved: boolean) => {
    setHasKey(saved);
    setRejected(false);
  };
  const needKey = !hasKey || rejected || route.page === "key";

  return (
    <>
      <header class="top">
        <a class="brand" href={href.upload}>
          MPR
        </a>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <a
              key={item.to}
              href={item.to}
              aria-current={item.pages.includes(route.page) ? "page" : undefined}
            >
              {item.label}
            </a>
          ))}
        </nav>
      </header>
      <main id="main">
        {needKey ? (
          <ApiKeyPage
            onSaved={onKey}
            reason={
              rejected
                ? "The server did not accept the API key. Enter a valid key."
                : hasKey
                  ? null
                  : "Enter your API key to use MPR."
            }
          />
        ) : (
          <Page route={route} />
        )}
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "jobs":
      return <JobsPage />;
    case "job":
      return <JobPage id={route.id} />;
    case "presets":
      return <PresetsPage />;
    case "preset":
      return <PresetPage name={route.name} />;
    case "new-preset":
      return <NewPresetPage />;
    default:
      return <UploadPage />;
  }
}
