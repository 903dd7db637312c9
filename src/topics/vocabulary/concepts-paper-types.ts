// Kinds of papers rather than subjects: surveys, position papers, tutorials. What a paper is, not what it is about.
import type { Concept } from "./types.ts";

export const PAPER_TYPE_CONCEPTS: Concept[] = [
  {
    id: "literature-survey",
    name: "Literature Survey",
    aliases: ["an overview", "overview of", "we overview", "this overview", "this article reviews", "this paper reviews", "we summarize recent", "we organize the literature", "organize existing work", "open problems and future directions", 
      "this survey",
      "a survey of",
      "a survey on",
      "comprehensive survey",
      "systematic survey",
      "systematic literature review",
      "systematic review",
      "literature review",
      "we survey",
      "we review",
      "this review",
      "a review of",
      "comprehensive review",
      "comprehensive overview",
      "structured overview",
      "a taxonomy of",
      "we categorize existing",
      "we systematically categorize",
      "existing literature",
    ],
    related: ["position-paper", "research-roadmap", "tutorial-paper"],
  },
  {
    id: "research-roadmap",
    name: "Roadmap & Open Problems",
    aliases: ["roadmap", "open problems", "open challenges and future directions", "future research directions", "research agenda", "outlook on"],
    related: ["literature-survey", "position-paper"],
  },
  {
    id: "position-paper",
    name: "Position Paper",
    aliases: ["position paper", "this position paper", "we argue that the community", "call to action"],
    related: ["literature-survey", "research-roadmap"],
  },
  {
    id: "tutorial-paper",
    name: "Tutorial",
    aliases: ["this tutorial", "a tutorial on", "tutorial introduction", "primer on", "gentle introduction"],
    related: ["literature-survey"],
  },
];
