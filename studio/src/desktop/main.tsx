import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Gate } from "../shared/Gate";
import { DesktopApp } from "./Desktop";
import "../shared/styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Gate title="Agent desktop">{(user, signedOut) => <DesktopApp user={user} onSignedOut={signedOut} />}</Gate>
  </StrictMode>,
);
