import { render } from "preact";
import { loadConfig } from "./api/config";
import { App } from "./app";
import "./styles.css";

void loadConfig().then(() => render(<App />, document.getElementById("app")!));
