package stacks

import "github.com/gin-gonic/gin"

func init() { gin.SetMode(gin.TestMode) } // no debug banner in test output
