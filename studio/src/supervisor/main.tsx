import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Gate } from "../shared/Gate";
import { SupervisorApp } from "./Supervisor";
import "../shared/styles.css";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Gate title="Supervisor">{(user, signedOut) => <SupervisorApp user={user} onSignedOut={signedOut} />}</Gate>
  </StrictMode>,
);
